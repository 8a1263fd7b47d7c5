import type { ByteLruCache } from "./byte-lru-cache.ts";

export interface CoalescedValue<V> {
  value: V;
  /** True when no computation was started for this caller: cached, or joined another's. */
  hit: boolean;
  /** True when the value came from joining another caller's in-flight computation. */
  shared: boolean;
}

export interface CoalescingCache<V> {
  /** Returns the cached value, or joins the in-flight computation, or starts one. */
  getOrCompute(key: string, compute: () => Promise<V>): Promise<CoalescedValue<V>>;
  /** Keys being computed right now. */
  readonly inFlight: number;
}

/**
 * Get-or-compute with in-flight sharing: concurrent callers for the same key share one
 * computation, so identical images arriving together cost one model call. Failures are not
 * cached; every caller sharing a failed computation gets its error, and the next caller retries.
 */
export function createCoalescingCache<V>(cache: ByteLruCache<V>): CoalescingCache<V> {
  const pending = new Map<string, Promise<V>>();

  return {
    async getOrCompute(key, compute) {
      if (cache.has(key)) return { value: cache.get(key) as V, hit: true, shared: false };
      const running = pending.get(key);
      if (running) return { value: await running, hit: true, shared: true };

      // Starting compute on a microtask means even a synchronous throw lands after the entry
      // is registered, so the cleanup below always finds and removes it.
      const computation = Promise.resolve()
        .then(compute)
        .then((value) => {
          cache.set(key, value);
          return value;
        })
        .finally(() => {
          pending.delete(key);
        });
      pending.set(key, computation);
      return { value: await computation, hit: false, shared: false };
    },
    get inFlight() {
      return pending.size;
    },
  };
}
