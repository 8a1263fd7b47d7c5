export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/**
 * Resolves with `work`, or rejects with TimeoutError after `ms`. The work itself cannot be
 * cancelled (an ONNX run finishes anyway); its late result or error is dropped, never unhandled.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
