import type { RateLimit } from "./api-keys.ts";

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * A token bucket: holds up to `burst` tokens, refills `perSecond` tokens a second, and each
 * request takes one. `now` (milliseconds) is injectable so tests step time instead of sleeping.
 */
export function createTokenBucket(
  { perSecond, burst }: RateLimit,
  now: () => number = () => performance.now(),
) {
  let tokens = burst;
  let refilledAt = now();

  return {
    take(): TakeResult {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - refilledAt) / 1000) * perSecond);
      refilledAt = t;
      if (tokens >= 1) {
        tokens -= 1;
        return { ok: true };
      }
      // Whole seconds, as Retry-After wants; at least 1 so a client never retries at once.
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) };
    },
  };
}
