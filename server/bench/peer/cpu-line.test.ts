import { describe, expect, it } from "vitest";
import { formatCpuLine, parseCpuInfo } from "./cpu-line.ts";

describe("parseCpuInfo", () => {
  it("reads the model and the SIMD flags that matter", () => {
    const cpu = parseCpuInfo("model name\t: AMD EPYC\nflags\t\t: fpu sse avx2 fma\n", 2);
    expect(formatCpuLine(cpu)).toBe("AMD EPYC, 2 cores (avx2 yes, avx512f no, avx512_vnni no)");
  });

  it("does not take avx512f for avx512_vnni", () => {
    const cpu = parseCpuInfo("model name : X\nflags : avx2 avx512f avx512_vnni\n", 4);
    expect(cpu.flags).toEqual({ avx2: true, avx512f: true, avx512_vnni: true });
  });
});
