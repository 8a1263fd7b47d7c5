import { describe, expect, it } from "vitest";
import { cpuLine, parseCpuInfo } from "./cpu-features.ts";

const block = (model: string, flags: string) =>
  `processor\t: 0\nvendor_id\t: x\nmodel name\t: ${model}\nflags\t\t: fpu sse ${flags}\n\nprocessor\t: 1\n`;

describe("the CPU facts from /proc/cpuinfo", () => {
  it("sees AVX2 without VNNI (the case that needs the exact int8 kernels)", () => {
    const cpu = parseCpuInfo(block("AMD EPYC", "avx avx2 fma"));
    expect(cpu).toMatchObject({ model: "AMD EPYC", avx2: true, avx512f: false, vnni: false });
    expect(cpuLine(cpu)).toBe("AMD EPYC [avx2]");
  });

  it("counts AVX-512 VNNI and AVX-VNNI as VNNI", () => {
    expect(parseCpuInfo(block("Xeon", "avx2 avx512f avx512_vnni")).vnni).toBe(true);
    expect(parseCpuInfo(block("Core", "avx2 avx_vnni")).vnni).toBe(true);
  });

  it("says unknown where there is no cpuinfo", () => {
    expect(cpuLine(parseCpuInfo(""))).toBe("unknown [no avx2/avx512f/vnni]");
  });
});
