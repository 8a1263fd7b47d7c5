/**
 * Refusals for load: the dependency is busy, not broken. Callers fall back or refuse at once
 * rather than wait, and a circuit breaker never counts them as faults.
 */

/** A queue is at `maxQueue`; shed the request (callers fall back or refuse rather than wait). */
export class QueueFullError extends Error {
  override readonly name = "QueueFullError";

  constructor(readonly maxQueue: number) {
    super(`queue is full (${maxQueue} items waiting)`);
  }
}

/** An item cannot finish before its deadline even if it ran alone next; refused before compute. */
export class DeadlineUnmeetableError extends Error {
  override readonly name = "DeadlineUnmeetableError";

  constructor(
    /** When the item would finish at the earliest, on the batcher's clock. */
    readonly expectedFinish: number,
    readonly deadline: number,
  ) {
    super(
      `cannot finish before its deadline (expected ${Math.round(expectedFinish - deadline)} ms late)`,
    );
  }
}

/** Whether `error` is a refusal for load (a full queue, a deadline that cannot be met). */
export function isLoadRefusal(error: unknown): boolean {
  return error instanceof QueueFullError || error instanceof DeadlineUnmeetableError;
}
