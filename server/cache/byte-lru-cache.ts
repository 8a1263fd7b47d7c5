/** A least-recently-used cache whose bound is the bytes its values hold, not their count. */
export interface ByteLruCache<V> {
  /** The value, marked most recently used; undefined when absent. */
  get(key: string): V | undefined;
  /** Stores the value as most recently used, evicting the least recently used to fit. */
  set(key: string, value: V): void;
  /** Whether the key is stored; does not count as a use. */
  has(key: string): boolean;
  delete(key: string): boolean;
  /** Bytes held by all values, as `sizeOf` measured them; never above `maxBytes`. */
  readonly bytes: number;
  /** Entries stored. */
  readonly size: number;
  clear(): void;
}

export interface ByteLruCacheOptions<V> {
  /** Upper bound on the summed `sizeOf` of stored values; no default. */
  maxBytes: number;
  /** Bytes one value holds, measured once when it is set; no default. */
  sizeOf: (value: V) => number;
  /** Called with each key pushed out to make room (not on delete, overwrite or clear); default none. */
  onEvict?: (key: string) => void;
}

/**
 * Builds a byte-bounded LRU cache. A value larger than `maxBytes` is not stored: keeping it
 * would flush every other entry for one that may never be asked for again.
 */
export function createByteLruCache<V>({
  maxBytes,
  sizeOf,
  onEvict,
}: ByteLruCacheOptions<V>): ByteLruCache<V> {
  if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be ≥ 0, got ${maxBytes}`);

  // A Map iterates in insertion order, so re-inserting on use keeps the oldest entry first.
  const entries = new Map<string, { value: V; bytes: number }>();
  let bytes = 0;

  function remove(key: string) {
    const entry = entries.get(key);
    if (!entry) return false;
    entries.delete(key);
    bytes -= entry.bytes;
    return true;
  }

  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value) {
      const size = sizeOf(value);
      if (!(size >= 0) || !Number.isFinite(size)) {
        throw new RangeError(`sizeOf returned ${size} for key "${key}"`);
      }
      // The old value goes even when the new one is too big, so a get never returns stale data.
      remove(key);
      if (size > maxBytes) return;
      entries.set(key, { value, bytes: size });
      bytes += size;
      for (const [oldest] of entries) {
        if (bytes <= maxBytes) break;
        remove(oldest);
        onEvict?.(oldest);
      }
    },
    has: (key) => entries.has(key),
    delete: remove,
    get bytes() {
      return bytes;
    },
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
      bytes = 0;
    },
  };
}
