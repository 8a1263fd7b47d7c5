import { QueueFullError } from "../load-control/queue-full-error.ts";

/**
 * Process-wide dynamic batcher: merges work from concurrent requests into one model call, as
 * Triton's dynamic batching and Ray Serve's `@serve.batch` do. A per-request DataLoader is a
 * different job (it merges one request's keys); this one batches across requests.
 *
 * Policy. A batch (up to `maxBatchSize` items, oldest first) starts when a slot is free
 * (fewer than `maxConcurrentBatches` in flight) and one of these holds:
 *   - no batch is running: a lone request dispatches on the next microtask, never on a timer
 *     (the microtask only lets items submitted in the same tick join it);
 *   - a batch has just finished: whatever queued up behind it goes at once, without waiting;
 *   - `maxBatchSize` items are queued;
 *   - the oldest queued item has waited `maxWaitMs`.
 * While every slot is busy, items accumulate, so batches fill up under load. With the default
 * single slot the last two rules never fire before the first two do, so an item waits at most
 * one batch's compute time when fewer than `maxBatchSize` are queued; `maxWaitMs` bounds the
 * wait for a partial batch only when `maxConcurrentBatches` > 1 lets one start beside another.
 */

export interface BatchStats {
  /** Items in the batch. */
  size: number;
  /** Per item, in batch order: milliseconds from submit to dispatch. */
  queueWaitMs: number[];
  /** Milliseconds from dispatch until every item settled, solo retries included. */
  computeMs: number;
}

export interface BatcherOptions<I, O> {
  /**
   * Runs one batch; returns one result per item, in order. May throw: then every item of that
   * batch is retried alone once, so one poisoned item fails only itself. No default.
   */
  run: (items: I[]) => Promise<O[]>;
  /** Most items in one call of `run`; default 8. */
  maxBatchSize?: number;
  /** Longest the oldest item waits for a partial batch while a free slot exists; default 50. */
  maxWaitMs?: number;
  /** Batches in flight at once; default 1, since one model runs one batch at a time. */
  maxConcurrentBatches?: number;
  /** Items waiting (not running) beyond which `submit` rejects with `QueueFullError`; default 256. */
  maxQueue?: number;
  /** Called once per dispatched batch after it settles, for metrics; must not throw; default none. */
  onBatch?: (stats: BatchStats) => void;
}

export interface SubmitOptions {
  /** Aborting rejects the caller with the reason and, if still queued, drops the item; default none. */
  signal?: AbortSignal;
}

export interface DynamicBatcher<I, O> {
  /** Queues one item; resolves with its result. */
  submit(item: I, options?: SubmitOptions): Promise<O>;
  /** Items waiting for a batch (not running). */
  readonly queueLength: number;
  /** Whether any batch is in flight. */
  readonly running: boolean;
  /** Resolves once the queue is empty and no batch is running. */
  drain(): Promise<void>;
}

interface Pending<I, O> {
  readonly item: I;
  readonly enqueuedAt: number;
  resolve(value: O): void;
  reject(reason: unknown): void;
}

/** Builds a batcher; see the file comment for when batches start. */
export function createDynamicBatcher<I, O>({
  run,
  maxBatchSize = 8,
  maxWaitMs = 50,
  maxConcurrentBatches = 1,
  maxQueue = 256,
  onBatch,
}: BatcherOptions<I, O>): DynamicBatcher<I, O> {
  requireAtLeast("maxBatchSize", maxBatchSize, 1);
  requireAtLeast("maxConcurrentBatches", maxConcurrentBatches, 1);
  requireAtLeast("maxQueue", maxQueue, 0);
  if (!(maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be ≥ 0, got ${maxWaitMs}`);

  const queue: Pending<I, O>[] = [];
  let inFlight = 0;
  let pumpScheduled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idleWaiters: (() => void)[] = [];

  const callRun = async (items: I[]) => run(items);

  function notifyIfIdle() {
    if (queue.length > 0 || inFlight > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  }

  function pump(slotJustFreed: boolean) {
    clearTimeout(timer);
    timer = undefined;
    let freed = slotJustFreed;
    for (let oldest = queue[0]; oldest && inFlight < maxConcurrentBatches; oldest = queue[0]) {
      const waited = performance.now() - oldest.enqueuedAt;
      const ready = inFlight === 0 || freed || queue.length >= maxBatchSize || waited >= maxWaitMs;
      if (!ready) {
        timer = setTimeout(() => pump(false), maxWaitMs - waited);
        break;
      }
      // A finished batch frees one slot, so it earns one immediate dispatch, not several.
      freed = false;
      void runBatch(queue.splice(0, maxBatchSize));
    }
    notifyIfIdle();
  }

  function schedulePump() {
    if (pumpScheduled) return;
    pumpScheduled = true;
    queueMicrotask(() => {
      pumpScheduled = false;
      pump(false);
    });
  }

  async function settle(batch: Pending<I, O>[]): Promise<void> {
    let results: O[];
    try {
      results = await callRun(batch.map((pending) => pending.item));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One after another: the retries share the model with each other and with the queue.
      for (const pending of batch) await settle([pending]);
      return;
    }
    if (!Array.isArray(results) || results.length !== batch.length) {
      const count = Array.isArray(results) ? results.length : typeof results;
      const error = new Error(`batch run returned ${count} results for ${batch.length} items`);
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      pending.resolve(results[i] as O);
    });
  }

  async function runBatch(batch: Pending<I, O>[]) {
    inFlight++;
    const startedAt = performance.now();
    try {
      await settle(batch);
      onBatch?.({
        size: batch.length,
        queueWaitMs: batch.map((pending) => startedAt - pending.enqueuedAt),
        computeMs: performance.now() - startedAt,
      });
    } finally {
      inFlight--;
      pump(true);
    }
  }

  return {
    submit(item, { signal } = {}) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (queue.length >= maxQueue) return Promise.reject(new QueueFullError(maxQueue));
      return new Promise<O>((resolve, reject) => {
        const onAbort = () => {
          const index = queue.indexOf(pending);
          // Dropped while queued so a timed-out request costs no model time; once running it
          // finishes with its batch and the result is discarded.
          if (index !== -1) queue.splice(index, 1);
          reject(signal?.reason);
          notifyIfIdle();
        };
        const detach = () => signal?.removeEventListener("abort", onAbort);
        const pending: Pending<I, O> = {
          item,
          enqueuedAt: performance.now(),
          resolve: (value) => {
            detach();
            resolve(value);
          },
          reject: (reason) => {
            detach();
            reject(reason);
          },
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        queue.push(pending);
        schedulePump();
      });
    },
    get queueLength() {
      return queue.length;
    },
    get running() {
      return inFlight > 0;
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
      });
    },
  };
}

function requireAtLeast(name: string, value: number, min: number) {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
}
