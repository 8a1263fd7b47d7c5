import { isLoadRefusal } from "./load-refusals.ts";

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit; default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial call is let through; default 10000 ms. */
  resetAfterMs?: number;
  /** Clock in milliseconds; default `performance.now`, monotonic so wall-clock jumps don't trip it. */
  now?: () => number;
  /**
   * Whether an error reported to `failure` (undefined when none was given) is a fault of the
   * dependency; others are ignored, neither failure nor success. Default `isFault`: everything
   * but refusals for load.
   */
  isFault?: (error: unknown) => boolean;
}

/**
 * Refusals for load (a full queue, a deadline that cannot be met) say the dependency is busy,
 * not broken: overload is answered by admission, and opening the circuit on it would turn a
 * busy model into an unused one. Everything else, a hang included, is a fault.
 */
export function isFault(error: unknown): boolean {
  return !isLoadRefusal(error);
}

export interface CircuitBreaker {
  /** "half-open" as soon as the reset time has passed, so metrics show a trial is due. */
  readonly state: CircuitState;
  /** Whether to make the call now; in half-open, true once for the single trial. */
  allow(): boolean;
  /** Report a call that succeeded. */
  success(): void;
  /**
   * Report a call that failed, with its error when there is one (none for a hang seen by a
   * watchdog); what `isFault` rejects is ignored.
   */
  failure(error?: unknown): void;
}

/**
 * Stops calling a failing dependency (the CLIP model) so requests fall back at once instead of
 * each waiting for a timeout. Opens after `failureThreshold` consecutive failures; after
 * `resetAfterMs` one trial call is allowed; its success closes the circuit, its failure
 * re-opens it for another `resetAfterMs`. Counts faults only (see `isFault`), never queueing.
 */
export function createCircuitBreaker({
  failureThreshold = 5,
  resetAfterMs = 10_000,
  now = () => performance.now(),
  isFault: countsAsFault = isFault,
}: CircuitBreakerOptions = {}): CircuitBreaker {
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw new RangeError(`failureThreshold must be an integer ≥ 1, got ${failureThreshold}`);
  }
  if (!(resetAfterMs >= 0)) throw new RangeError(`resetAfterMs must be ≥ 0, got ${resetAfterMs}`);

  let state: "closed" | "open" | "trial" = "closed";
  let failures = 0;
  // When the circuit opened, or when the current trial started.
  let since = 0;

  const open = () => {
    state = "open";
    since = now();
  };
  const close = () => {
    state = "closed";
    failures = 0;
  };

  return {
    get state() {
      if (state === "closed") return "closed";
      if (state === "trial") return "half-open";
      return now() - since >= resetAfterMs ? "half-open" : "open";
    },
    allow() {
      if (state === "closed") return true;
      // A trial whose outcome is never reported (a lost promise) would otherwise hold the
      // circuit half-open for good; after another resetAfterMs a fresh trial is let through.
      if (now() - since < resetAfterMs) return false;
      state = "trial";
      since = now();
      return true;
    },
    success() {
      // Only a trial proves recovery; a straggler that succeeds while open was started earlier.
      if (state !== "open") close();
    },
    failure(error) {
      if (!countsAsFault(error)) return;
      if (state === "trial") open();
      else if (state === "closed" && ++failures >= failureThreshold) open();
      // While open, late failures from calls made before it opened must not extend the wait.
    },
  };
}
