import type { ByteLruCache } from "./byte-lru-cache.ts";

/**
 * A slower cache behind the in-memory one, shared by every replica (Redis). It must never
 * throw and never wait long: an unreachable level answers "absent" and drops writes.
 */
export interface SecondLevel<V> {
  /** The stored value; undefined when absent, malformed or the level cannot answer now. */
  get(key: string): Promise<V | undefined>;
  /** Stores the value, best effort. */
  set(key: string, value: V): Promise<void>;
}

/** Where a caller's value came from: this process, the second level, or a new computation. */
export type CacheLevel = "memory" | "second" | "computed";

export interface CoalescedValue<V> {
  value: V;
  /** True when no computation was started for this caller: cached, or joined another's. */
  hit: boolean;
  /** True when the value came from joining another caller's in-flight lookup or computation. */
  shared: boolean;
  /** "memory" for the LRU and for joined in-flight work, "second" for the shared level. */
  level: CacheLevel;
}

export interface CoalescingCache<V> {
  /** Returns the cached value, or joins the in-flight lookup, or starts one. */
  getOrCompute(key: string, compute: () => Promise<V>): Promise<CoalescedValue<V>>;
  /** Keys being looked up or computed right now. */
  readonly inFlight: number;
}

/**
 * Get-or-compute with in-flight sharing: concurrent callers for the same key share one
 * computation, so identical images arriving together cost one model call. With a second level,
 * a miss in memory asks it before computing, and a computed value is written to both; a value
 * found there is kept in memory, so the next caller does not ask again. Failures are not
 * cached; every caller sharing a failed computation gets its error, and the next caller retries.
 */
export function createCoalescingCache<V>(
  cache: ByteLruCache<V>,
  secondLevel?: SecondLevel<V>,
): CoalescingCache<V> {
  const pending = new Map<string, Promise<{ value: V; level: "second" | "computed" }>>();

  async function lookUp(key: string, compute: () => Promise<V>) {
    const stored = await secondLevel?.get(key);
    if (stored !== undefined) return { value: stored, level: "second" as const };
    const value = await compute();
    // Not awaited: the caller has its answer; other replicas will find it a moment later.
    void secondLevel?.set(key, value);
    return { value, level: "computed" as const };
  }

  return {
    async getOrCompute(key, compute) {
      if (cache.has(key))
        return { value: cache.get(key) as V, hit: true, shared: false, level: "memory" };
      const running = pending.get(key);
      if (running)
        return { value: (await running).value, hit: true, shared: true, level: "memory" };

      // Starting on a microtask means even a synchronous throw lands after the entry is
      // registered, so the cleanup below always finds and removes it.
      const lookup = Promise.resolve()
        .then(() => lookUp(key, compute))
        .then((found) => {
          cache.set(key, found.value);
          return found;
        })
        .finally(() => {
          pending.delete(key);
        });
      pending.set(key, lookup);
      const { value, level } = await lookup;
      return { value, hit: level !== "computed", shared: false, level };
    },
    get inFlight() {
      return pending.size;
    },
  };
}
