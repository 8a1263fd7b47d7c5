/** A queue is at `maxQueue`; shed the request (callers fall back or refuse rather than wait). */
export class QueueFullError extends Error {
  override readonly name = "QueueFullError";

  constructor(readonly maxQueue: number) {
    super(`queue is full (${maxQueue} items waiting)`);
  }
}
