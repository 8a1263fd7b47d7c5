import { QueueFullError } from "./load-refusals.ts";

export interface ConcurrencyLimiterOptions {
  /** Tasks running at once; no default. */
  concurrency: number;
  /** Tasks waiting for a slot beyond which `run` rejects with `QueueFullError`; no default. */
  maxQueue: number;
}

export interface ConcurrencyLimiter {
  /** Runs `task` once a slot is free (first come, first served). */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly waiting: number;
}

/**
 * A counting semaphore with a bounded wait queue. A finished task hands its slot straight to
 * the oldest waiter, so `active` never dips and rises again between them.
 */
export function createConcurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  const { concurrency, maxQueue } = options;
  if (!(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  }
  let active = 0;
  const queue: (() => void)[] = [];

  function release() {
    const next = queue.shift();
    if (next) next();
    else active--;
  }

  return {
    async run(task) {
      if (active < concurrency) {
        active++;
      } else {
        if (queue.length >= maxQueue) throw new QueueFullError(maxQueue);
        await new Promise<void>((resolve) => queue.push(resolve));
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
