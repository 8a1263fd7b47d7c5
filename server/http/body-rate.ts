/**
 * Whether a request body arrives too slowly: fewer than `minBytesPerSecond` on average over the
 * last `windowMs`. A client gets one whole window before it is judged, and only its pace over
 * the latest window counts, so a burst at the start buys nothing later (the slowloris pattern:
 * a few bytes, then a trickle).
 */
export interface BodyRateWindow {
  /** Records the bytes received so far at `nowMs`; true when the body is now too slow. */
  tooSlow(nowMs: number, bytesSoFar: number): boolean;
  /**
   * Starts judging afresh from `nowMs`, e.g. while the server itself is not reading (the body
   * waits in its buffers), which is not the client's fault.
   */
  restart(nowMs: number, bytesSoFar: number): void;
}

export interface BodyRateOptions {
  minBytesPerSecond: number;
  windowMs: number;
}

export function createBodyRateWindow(
  options: BodyRateOptions,
  startMs: number,
  startBytes = 0,
): BodyRateWindow {
  const { minBytesPerSecond, windowMs } = options;
  const needed = (minBytesPerSecond * windowMs) / 1000;
  // Samples oldest first; the first is the latest one at least a window old (the baseline).
  let samples: { t: number; bytes: number }[] = [{ t: startMs, bytes: startBytes }];
  return {
    tooSlow(nowMs, bytesSoFar) {
      samples.push({ t: nowMs, bytes: bytesSoFar });
      while (samples.length > 1 && (samples[1] as { t: number }).t <= nowMs - windowMs)
        samples.shift();
      const baseline = samples[0] as { t: number; bytes: number };
      if (nowMs - baseline.t < windowMs) return false;
      return bytesSoFar - baseline.bytes < needed;
    },
    restart(nowMs, bytesSoFar) {
      samples = [{ t: nowMs, bytes: bytesSoFar }];
    },
  };
}
