import type { LatencyModel } from "./latency-model.ts";

/** A model call still running well past its estimate: a hang, not load. */
export interface Overrun {
  /** Items in the call. */
  size: number;
  /** What the latency model expected, in milliseconds. */
  estimateMs: number;
  /** How long it has run so far, in milliseconds. */
  elapsedMs: number;
}

export interface OverrunWatchdogOptions {
  latency: LatencyModel;
  /** Told once per period a call runs past it; must not throw. */
  onOverrun: (overrun: Overrun) => void;
  /** How many times its estimate a call may run before it counts as an overrun. */
  factor: number;
  /** Shortest run that counts as an overrun, in milliseconds. */
  floorMs: number;
  now: () => number;
}

/**
 * Tells when a model call runs past `max(factor × estimate, floorMs)`, and again each such
 * period while it still runs: one report per period, not one per waiting item, so a hang is a
 * steady stream of faults for a circuit breaker while a merely slow call is none. A size with
 * no estimate yet is not watched (its first run includes the runtime's own set-up).
 * `watch(size)` starts watching one call and returns the function that stops it.
 */
export function createOverrunWatchdog({
  latency,
  onOverrun,
  factor,
  floorMs,
  now,
}: OverrunWatchdogOptions) {
  return function watch(size: number): () => void {
    const estimateMs = latency.estimateMs(size);
    if (estimateMs === undefined) return () => {};
    const startedAt = now();
    const periodMs = Math.max(factor * estimateMs, floorMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      timer = setTimeout(() => {
        onOverrun({ size, estimateMs, elapsedMs: now() - startedAt });
        arm();
      }, periodMs);
    };
    arm();
    return () => clearTimeout(timer);
  };
}
