import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** The SIMD flags that decide onnxruntime's fp32 and int8 kernels on x86. */
export const CPU_FLAGS = ["avx2", "avx512f", "avx512_vnni"] as const;

export interface CpuLine {
  model: string;
  cores: number;
  flags: Record<(typeof CPU_FLAGS)[number], boolean>;
}

/** Parses /proc/cpuinfo's text: the first model name and flags line. */
export function parseCpuInfo(text: string, cores: number): CpuLine {
  const field = (name: string) =>
    text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim() ?? "";
  const present = new Set(field("flags").split(/\s+/));
  return {
    model: field("model name") || "unknown CPU",
    cores,
    flags: Object.fromEntries(CPU_FLAGS.map((f) => [f, present.has(f)])) as CpuLine["flags"],
  };
}

/** One line to print beside every figure: model, cores, and which of the flags it has. */
export function formatCpuLine(cpu: CpuLine): string {
  const flags = CPU_FLAGS.map((f) => `${f} ${cpu.flags[f] ? "yes" : "no"}`).join(", ");
  return `${cpu.model}, ${cpu.cores} cores (${flags})`;
}

/** This machine's CPU line (Linux; elsewhere the model name only, every flag reported absent). */
export function readCpuLine(): CpuLine {
  let text = "";
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    text = `model name : ${cpus()[0]?.model ?? ""}`;
  }
  return parseCpuInfo(text, cpus().length);
}
