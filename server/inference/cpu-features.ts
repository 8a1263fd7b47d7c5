import { readFileSync } from "node:fs";

/** The CPU facts the choice of model variant depends on. */
export interface CpuFeatures {
  /** /proc/cpuinfo's "model name" of the first core; "unknown" off Linux. */
  model: string;
  avx2: boolean;
  avx512f: boolean;
  /** AVX-512 VNNI or AVX-VNNI: int8 dot products without the int16 pair sum that saturates. */
  vnni: boolean;
  /** "avx2 avx512f ..." of the flags above that the CPU has, for cache keys and reports. */
  flags: string;
}

/** Parses /proc/cpuinfo's text (the first core's block is enough: cores are alike). */
export function parseCpuInfo(text: string): CpuFeatures {
  const field = (name: string) =>
    new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(text)?.[1]?.trim() ?? "";
  const flags = new Set(field("flags").split(/\s+/));
  const has = (flag: string) => flags.has(flag);
  const known = ["avx2", "avx512f", "avx512_vnni", "avx_vnni"].filter(has);
  return {
    model: field("model name") || "unknown",
    avx2: has("avx2"),
    avx512f: has("avx512f"),
    vnni: has("avx512_vnni") || has("avx_vnni"),
    flags: known.join(" "),
  };
}

/** This machine's CPU; "unknown" with no flags where /proc/cpuinfo cannot be read. */
export function cpuFeatures(): CpuFeatures {
  try {
    return parseCpuInfo(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return parseCpuInfo("");
  }
}

/** "AMD EPYC [avx2]": the line printed next to every measured figure. */
export function cpuLine(cpu: CpuFeatures = cpuFeatures()): string {
  return `${cpu.model} [${cpu.flags || "no avx2/avx512f/vnni"}]`;
}
