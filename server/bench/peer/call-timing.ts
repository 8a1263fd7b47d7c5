import { quantile } from "../../math/quantile.ts";
import { round } from "../stats.ts";

/** Throughput and per-call latency of a sequence of calls, each over `perCall` images. */
export interface CallTiming {
  calls: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  p50MsPerCall: number;
}

/** Runs `call(0)` … `call(calls - 1)` one after another and times them. */
export async function timeCalls(
  calls: number,
  perCall: number,
  call: (i: number) => Promise<unknown>,
): Promise<CallTiming> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await call(i);
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    calls,
    images: calls * perCall,
    seconds: round(seconds),
    imagesPerSecond: round((calls * perCall) / seconds, 2),
    p50MsPerCall: round(quantile(latencies, 0.5)),
  };
}
