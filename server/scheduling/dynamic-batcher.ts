import { DeadlineUnmeetableError, QueueFullError } from "../load-control/load-refusals.ts";

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
 *
 * Deadlines. An item may carry a deadline (see `SubmitOptions`). Each batch is then sized from
 * the latency model (learned from every batch this batcher runs, warm-up included) so that its
 * upper bound (`boundMs`: the expectation plus the spread calls of that size have shown)
 * finishes before the earliest deadline in it, and an item that cannot finish in time
 * is refused with `DeadlineUnmeetableError` before any compute is spent on it: at submit, when
 * the batches ahead of it leave no time (admission), or at dispatch, when it could not make it
 * even alone. A model idle for `probeAfterMs` takes one item whatever its estimates say (see
 * submit). Items without a deadline are batched exactly as described above. The arithmetic is
 * in `deadline-plan.ts`; the queue stays first-in, first-out (why: see there).
 */

import { nextBatch, planLast } from "./deadline-plan.ts";
import { createLatencyModel, type LatencyModel } from "./latency-model.ts";
import { createOverrunWatchdog, type Overrun } from "./overrun-watchdog.ts";

export type { Overrun } from "./overrun-watchdog.ts";

export interface BatchStats {
  /** Items in the batch. */
  size: number;
  /** Per item, in batch order: milliseconds from submit to dispatch. */
  queueWaitMs: number[];
  /** Milliseconds from dispatch until every item settled, solo retries included. */
  computeMs: number;
}

/** An item refused before compute: the queue was full, or its deadline could not be met. */
export interface Rejection {
  reason: "queue_full" | "deadline";
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
  /**
   * Called for every item refused before compute, for metrics; must not throw; default none.
   * Refusals are load, not faults: a circuit breaker must never count them.
   */
  onReject?: (rejection: Rejection) => void;
  /**
   * Called when a model call runs past `max(overrunFactor × estimate, overrunFloorMs)`, and again
   * each such period while it still runs, so a breaker hears about a hang; must not throw;
   * default none. Calls of a size with no estimate yet (nothing measured) are not watched.
   */
  onOverrun?: (overrun: Overrun) => void;
  /** How many times its estimate a call may run before it counts as an overrun; default 2. */
  overrunFactor?: number;
  /**
   * Shortest run that counts as an overrun, in milliseconds; default 1000, so scheduling jitter
   * on a call estimated at a few milliseconds is never taken for a hang.
   */
  overrunFloorMs?: number;
  /**
   * Compute time per batch size, learned from every call of `run` that answered (warm-up and
   * solo retries included, failed calls not); default a fresh `createLatencyModel()`. Pass one
   * to share or pre-seed it.
   */
  latency?: LatencyModel;
  /**
   * How long the model must have been idle (no call started) before an item its estimates
   * would refuse for time runs anyway, alone, to measure it again; default 1000.
   */
  probeAfterMs?: number;
  /** Clock in milliseconds, for deadlines and stats; default `performance.now`. */
  now?: () => number;
}

export interface SubmitOptions {
  /** Aborting rejects the caller with the reason and, if still queued, drops the item; default none. */
  signal?: AbortSignal;
  /**
   * When the result is no longer useful, on the batcher's clock (`now`): the item is refused
   * with `DeadlineUnmeetableError` unless it is expected to finish by then, and batches holding
   * it are sized to. Default none: never refused for time, batched as without deadlines.
   */
  deadline?: number;
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
  /** Expected compute milliseconds of a batch of `size`; undefined until a batch has run. */
  estimateMs(size: number): number | undefined;
}

interface Pending<I, O> {
  readonly item: I;
  readonly enqueuedAt: number;
  /** Infinity when the item has none. */
  readonly deadline: number;
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
  onReject,
  onOverrun,
  overrunFactor = 2,
  overrunFloorMs = 1000,
  latency = createLatencyModel(),
  probeAfterMs = 1000,
  now = () => performance.now(),
}: BatcherOptions<I, O>): DynamicBatcher<I, O> {
  requireAtLeast("maxBatchSize", maxBatchSize, 1);
  requireAtLeast("maxConcurrentBatches", maxConcurrentBatches, 1);
  requireAtLeast("maxQueue", maxQueue, 0);
  if (!(maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be ≥ 0, got ${maxWaitMs}`);

  const queue: Pending<I, O>[] = [];
  // Per batch in flight: when it is expected to end, so admission knows when a slot frees.
  const inFlight = new Set<{ expectedEnd: number }>();
  let pumpScheduled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idleWaiters: (() => void)[] = [];
  let lastDispatchAt = now();

  // Deadlines are planned on each size's upper bound, not its average (see boundMs).
  // Unmeasured sizes cost nothing: until a batch has run, nothing is refused for time.
  const estimate = (size: number) => latency.boundMs(size) ?? 0;

  const watchForOverrun = onOverrun
    ? createOverrunWatchdog({
        latency,
        onOverrun,
        factor: overrunFactor,
        floorMs: overrunFloorMs,
        now,
      })
    : () => () => {};

  async function callRun(items: I[]) {
    const stopWatching = watchForOverrun(items.length);
    const startedAt = now();
    try {
      const results = await run(items);
      // Only calls that answered teach the model: a failure's time says nothing about compute.
      if (Array.isArray(results) && results.length === items.length) {
        latency.observe(items.length, now() - startedAt);
      }
      return results;
    } finally {
      stopWatching();
    }
  }

  function refuse(pending: Pending<I, O>, reason: Rejection["reason"], error: Error) {
    pending.reject(error);
    onReject?.({ reason });
  }

  function notifyIfIdle() {
    if (queue.length > 0 || inFlight.size > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  }

  function pump(slotJustFreed: boolean) {
    clearTimeout(timer);
    timer = undefined;
    let freed = slotJustFreed;
    for (let oldest = queue[0]; oldest && inFlight.size < maxConcurrentBatches; oldest = queue[0]) {
      const waited = now() - oldest.enqueuedAt;
      const ready =
        inFlight.size === 0 || freed || queue.length >= maxBatchSize || waited >= maxWaitMs;
      if (!ready) {
        timer = setTimeout(() => pump(false), maxWaitMs - waited);
        break;
      }
      const batch = takeBatch();
      if (batch.length === 0) continue;
      // A finished batch frees one slot, so it earns one immediate dispatch, not several.
      freed = false;
      void runBatch(batch);
    }
    notifyIfIdle();
  }

  /** Removes the next batch from the queue, refusing the items ahead of it that are too late. */
  function takeBatch(): Pending<I, O>[] {
    const start = now();
    const plan = nextBatch(
      queue.map((pending) => pending.deadline),
      0,
      start,
      maxBatchSize,
      estimate,
    );
    const taken = queue.splice(0, plan.unmeetable.length + plan.items.length);
    const late = taken.splice(0, plan.unmeetable.length);
    for (const pending of late) {
      refuse(
        pending,
        "deadline",
        new DeadlineUnmeetableError(start + estimate(1), pending.deadline),
      );
    }
    return taken;
  }

  /** Per batch slot, when it is expected to be free. */
  function slotsFreeAt(): number[] {
    const time = now();
    const free = [...inFlight].map((batch) => Math.max(time, batch.expectedEnd));
    while (free.length < maxConcurrentBatches) free.push(time);
    return free;
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
    const startedAt = now();
    lastDispatchAt = startedAt;
    const slot = { expectedEnd: startedAt + estimate(batch.length) };
    inFlight.add(slot);
    try {
      await settle(batch);
      onBatch?.({
        size: batch.length,
        queueWaitMs: batch.map((pending) => startedAt - pending.enqueuedAt),
        computeMs: now() - startedAt,
      });
    } finally {
      inFlight.delete(slot);
      pump(true);
    }
  }

  /** The reason to refuse an item at submit, if any. */
  function admissionError(deadline: number | undefined): [Rejection["reason"], Error] | undefined {
    if (queue.length >= maxQueue) return ["queue_full", new QueueFullError(maxQueue)];
    if (deadline === undefined) return undefined;
    const deadlines = [...queue.map((pending) => pending.deadline), deadline];
    const plan = planLast(deadlines, slotsFreeAt(), maxBatchSize, estimate);
    if (plan.meetsDeadline) return undefined;
    return ["deadline", new DeadlineUnmeetableError(plan.expectedFinish, deadline)];
  }

  return {
    submit(item, { signal, deadline } = {}) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      // A model idle for `probeAfterMs` takes one item whatever its estimates say: they only
      // learn from calls, so after a slow spell (another process on the cores) they could
      // otherwise refuse everything forever. The item runs unplanned (a lone item on an idle
      // model is as fast as it gets), and its caller's own timeout still bounds the wait.
      const probe =
        deadline !== undefined &&
        inFlight.size === 0 &&
        queue.length === 0 &&
        now() - lastDispatchAt >= probeAfterMs;
      const refusal = probe ? undefined : admissionError(deadline);
      if (refusal) {
        onReject?.({ reason: refusal[0] });
        return Promise.reject(refusal[1]);
      }
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
          enqueuedAt: now(),
          deadline: probe ? Number.POSITIVE_INFINITY : (deadline ?? Number.POSITIVE_INFINITY),
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
      return inFlight.size > 0;
    },
    drain() {
      if (queue.length === 0 && inFlight.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
      });
    },
    estimateMs: (size) => latency.estimateMs(size),
  };
}

function requireAtLeast(name: string, value: number, min: number) {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
}
