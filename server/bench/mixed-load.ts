import { quantile } from "../math/quantile.ts";
import { round } from "./stats.ts";

/** What one mixed run measured: both models' throughput, the CNN's latency, the cores used. */
export interface MixedResult {
  cnnImagesPerSecond: number;
  cnnP50Ms: number;
  cnnP95Ms: number;
  clipImagesPerSecond: number;
  /** Process CPU time (every thread) over wall time. */
  cores: number;
}

/**
 * CLIP batches back to back (one loop per `clipCallers`) while CNN calls of one image arrive
 * at `cnnPerSecond` (open loop, as requests do) or back to back when it is 0, for `seconds`.
 */
export async function mixedLoad(options: {
  seconds: number;
  clipBatch: number;
  clipCallers: number;
  cnnPerSecond: number;
  clip: () => Promise<unknown>;
  cnn: () => Promise<unknown>;
}): Promise<MixedResult> {
  const { seconds, clipBatch, clipCallers, cnnPerSecond } = options;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const until = started + seconds * 1000;
  let clipImages = 0;
  const cnnLatencies: number[] = [];
  const timedCnn = async () => {
    const t = performance.now();
    await options.cnn();
    cnnLatencies.push(performance.now() - t);
  };
  const clipLoops = Array.from({ length: clipCallers }, async () => {
    while (performance.now() < until) {
      await options.clip();
      clipImages += clipBatch;
    }
  });
  const cnnLoop = (async () => {
    if (cnnPerSecond <= 0) {
      while (performance.now() < until) await timedCnn();
      return;
    }
    const inFlight: Promise<void>[] = [];
    for (let n = 0; ; n++) {
      const at = started + (n * 1000) / cnnPerSecond;
      if (at >= until) break;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(timedCnn());
    }
    await Promise.all(inFlight);
  })();
  await Promise.all([...clipLoops, cnnLoop]);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    cnnImagesPerSecond: round((cnnLatencies.length * 1000) / wallMs, 1),
    cnnP50Ms: round(quantile(cnnLatencies, 0.5), 1),
    cnnP95Ms: round(quantile(cnnLatencies, 0.95), 1),
    clipImagesPerSecond: round((clipImages * 1000) / wallMs, 2),
    cores: round((cpu.user + cpu.system) / 1000 / wallMs, 2),
  };
}
