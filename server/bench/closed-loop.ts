import { quantile } from "../math/quantile.ts";
import { round } from "./stats.ts";

export interface LoadResult {
  requests: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * Saturating load: `concurrency` workers each send their next request as soon as the last
 * one answers, over `count` requests. Measures capacity (throughput at saturation); latency
 * under a fixed arrival rate is the load generator's job, not this one's.
 */
export async function closedLoop(
  count: number,
  concurrency: number,
  send: (i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await send(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: count,
    concurrency,
    seconds: round(seconds),
    perSecond: round(count / seconds, 1),
    p50Ms: round(quantile(latencies, 0.5)),
    p95Ms: round(quantile(latencies, 0.95)),
  };
}
