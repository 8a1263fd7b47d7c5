import { readdirSync, readFileSync } from "node:fs";
import { METRICS } from "./metric-names.ts";
import { sampleValue } from "./metrics-text.ts";

/** Thread ids by the name of what they run, e.g. { cnn: [...], clip_vision: [...] }. */
export type NamedThreads = () => Record<string, readonly number[]>;

// The kernel counts thread CPU time in USER_HZ ticks, 100 per second on Linux.
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds each group of the process' threads spent since the previous call, read from
 * /proc/self/task. Groups: `main` (the event loop: HTTP, GraphQL, routing), the named ones
 * (each model's worker and onnxruntime pool), `image_decode` (libvips' workers) and `other`
 * (libuv's pool, where decodes start, and V8's compiler and GC threads). A thread that ended
 * since the last call loses its last interval; one that started counts from its start. Empty
 * where /proc does not exist.
 */
export function createThreadCpuReader(named: NamedThreads): () => Record<string, number> {
  const lastTicks = new Map<number, number>();
  return () => {
    let threads: number[];
    try {
      threads = readdirSync("/proc/self/task").map(Number);
    } catch {
      return {};
    }
    const groupOf = new Map<number, string>();
    for (const [group, ids] of Object.entries(named()))
      for (const id of ids) groupOf.set(id, group);
    const seconds: Record<string, number> = {};
    const seen = new Map<number, number>();
    for (const id of threads) {
      const stat = readStat(id);
      if (!stat) continue;
      seen.set(id, stat.ticks);
      const delta = stat.ticks - (lastTicks.get(id) ?? 0);
      const group =
        id === process.pid
          ? "main"
          : (groupOf.get(id) ?? (stat.name.startsWith("libvips") ? "image_decode" : "other"));
      seconds[group] = (seconds[group] ?? 0) + Math.max(0, delta) / TICKS_PER_SECOND;
    }
    lastTicks.clear();
    for (const [id, ticks] of seen) lastTicks.set(id, ticks);
    return seconds;
  };
}

/** A thread's name and utime + stime (fields 14 and 15, counted after the name in ()). */
function readStat(threadId: number): { name: string; ticks: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${threadId}/stat`, "utf8");
  } catch {
    return null; // ended between the listing and the read
  }
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  return {
    name: stat.slice(stat.indexOf("(") + 1, close),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

/** The groups createThreadCpuReader reports for the service's models (see its comment). */
export const THREAD_GROUPS = ["main", "cnn", "clip_vision", "clip_text", "image_decode", "other"];

/**
 * A process's CPU seconds from one /metrics text: in all (prom-client's
 * process_cpu_seconds_total, which counts threads that have ended too) and by thread group.
 */
export function cpuSecondsFromMetrics(exposition: string): {
  total: number;
  byThreads: Record<string, number>;
} {
  const byThreads: Record<string, number> = {};
  for (const threads of THREAD_GROUPS) {
    const value = sampleValue(exposition, METRICS.threadCpu, { threads });
    if (value !== null) byThreads[threads] = value;
  }
  return { total: sampleValue(exposition, "process_cpu_seconds_total") ?? 0, byThreads };
}
