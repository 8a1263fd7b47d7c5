import { sampleValue } from "../../server/telemetry/metrics-text.ts";

/** The service's memory at one moment, from its own /metrics (prom-client's process metrics). */
export interface MemorySample {
  /** Seconds since the load started. */
  tS: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

export const MEMORY_CSV_HEADER = "t_s,rss_bytes,heap_used_bytes,heap_total_bytes,external_bytes";

export function memoryCsvRow(sample: MemorySample): string {
  const { tS, rssBytes, heapUsedBytes, heapTotalBytes, externalBytes } = sample;
  return [tS.toFixed(1), rssBytes, heapUsedBytes, heapTotalBytes, externalBytes].join(",");
}

/** Reads /metrics once. Throws when a memory metric is missing: the series would be meaningless. */
async function readMemory(metricsUrl: string, tS: number): Promise<MemorySample> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (name: string) => {
    const found = sampleValue(text, name);
    if (found === null) throw new Error(`${metricsUrl} has no ${name}`);
    return found;
  };
  return {
    tS,
    rssBytes: value("process_resident_memory_bytes"),
    heapUsedBytes: value("nodejs_heap_size_used_bytes"),
    heapTotalBytes: value("nodejs_heap_size_total_bytes"),
    externalBytes: value("nodejs_external_memory_bytes"),
  };
}

/**
 * Samples the service's memory every `everyMs` until stopped, one scrape at a time (a slow
 * scrape delays the next rather than piling up). A failed scrape is kept in `failures`.
 */
export function sampleMemory(
  metricsUrl: string,
  everyMs: number,
  onSample?: (sample: MemorySample) => void,
) {
  const samples: MemorySample[] = [];
  const failures: string[] = [];
  const started = performance.now();
  let running = true;
  let wake: () => void = () => {};
  const loop = (async () => {
    while (running) {
      try {
        const sample = await readMemory(metricsUrl, (performance.now() - started) / 1000);
        samples.push(sample);
        onSample?.(sample);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, everyMs);
      });
    }
  })();
  return {
    samples,
    failures,
    /** Ends sampling after the scrape in progress, if any. */
    async stop(): Promise<void> {
      running = false;
      wake();
      await loop;
    },
  };
}
