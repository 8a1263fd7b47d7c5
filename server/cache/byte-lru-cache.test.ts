import { describe, expect, it } from "vitest";
import { createByteLruCache } from "./byte-lru-cache.ts";

const byLength = (value: string) => value.length;

/** A small seeded generator, so a failing sequence replays exactly. */
function mulberry32(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("createByteLruCache", () => {
  describe("bounds", () => {
    it("never holds more than maxBytes across random operations, and counts bytes exactly", () => {
      const violations: string[] = [];
      for (const seed of [1, 2, 3, 42]) {
        const random = mulberry32(seed);
        const maxBytes = 100;
        const cache = createByteLruCache({ maxBytes, sizeOf: byLength });
        const model = new Map<string, string>();
        for (let step = 0; step < 2000; step++) {
          const key = `k${Math.floor(random() * 30)}`;
          const roll = random();
          if (roll < 0.6) {
            const value = "x".repeat(Math.floor(random() * 130));
            cache.set(key, value);
            model.set(key, value);
          } else if (roll < 0.85) {
            const value = cache.get(key);
            if (value !== undefined && value !== model.get(key)) {
              violations.push(`seed ${seed} step ${step}: stale value for ${key}`);
            }
          } else {
            cache.delete(key);
            model.delete(key);
          }
          let held = 0;
          let count = 0;
          for (const [k, v] of model) {
            if (!cache.has(k)) continue;
            held += v.length;
            count++;
          }
          // Plain comparisons keep 8000 steps fast; only failures become assertions below.
          if (cache.bytes > maxBytes || cache.bytes !== held || cache.size !== count) {
            violations.push(`seed ${seed} step ${step}: bytes ${cache.bytes}, held ${held}`);
          }
        }
      }
      expect(violations).toEqual([]);
    });

    it("does not store a value larger than maxBytes, and keeps what it had", () => {
      const evicted: string[] = [];
      const cache = createByteLruCache({
        maxBytes: 10,
        sizeOf: byLength,
        onEvict: (key) => evicted.push(key),
      });
      cache.set("a", "aaaa");
      cache.set("huge", "x".repeat(11));
      expect(cache.has("huge")).toBe(false);
      expect(cache.get("a")).toBe("aaaa");
      expect(cache.bytes).toBe(4);
      expect(evicted).toEqual([]);
    });

    it("stores a value of exactly maxBytes", () => {
      const cache = createByteLruCache({ maxBytes: 10, sizeOf: byLength });
      cache.set("a", "x".repeat(10));
      expect(cache.bytes).toBe(10);
      expect(cache.size).toBe(1);
    });

    it("drops the old value when an oversize value replaces it", () => {
      const cache = createByteLruCache({ maxBytes: 10, sizeOf: byLength });
      cache.set("a", "old");
      cache.set("a", "x".repeat(20));
      expect(cache.get("a")).toBeUndefined();
      expect(cache.bytes).toBe(0);
    });

    it("rejects a sizeOf that returns a negative or non-finite number", () => {
      const cache = createByteLruCache({ maxBytes: 10, sizeOf: (n: number) => n });
      expect(() => cache.set("a", -1)).toThrow(RangeError);
      expect(() => cache.set("a", Number.NaN)).toThrow(RangeError);
      expect(() => cache.set("a", Number.POSITIVE_INFINITY)).toThrow(RangeError);
      expect(cache.bytes).toBe(0);
    });
  });

  describe("eviction order", () => {
    it("evicts the least recently set first", () => {
      const evicted: string[] = [];
      const cache = createByteLruCache({
        maxBytes: 9,
        sizeOf: byLength,
        onEvict: (key) => evicted.push(key),
      });
      cache.set("a", "aaa");
      cache.set("b", "bbb");
      cache.set("c", "ccc");
      cache.set("d", "ddd");
      expect(evicted).toEqual(["a"]);
      expect([..."abcd"].filter((k) => cache.has(k))).toEqual(["b", "c", "d"]);
    });

    it("treats get as a use, so a read entry outlives older unread ones", () => {
      const evicted: string[] = [];
      const cache = createByteLruCache({
        maxBytes: 9,
        sizeOf: byLength,
        onEvict: (key) => evicted.push(key),
      });
      cache.set("a", "aaa");
      cache.set("b", "bbb");
      cache.set("c", "ccc");
      cache.get("a");
      cache.set("d", "ddd");
      expect(evicted).toEqual(["b"]);
      cache.set("e", "eee");
      expect(evicted).toEqual(["b", "c"]);
      expect(cache.has("a")).toBe(true);
    });

    it("does not treat has as a use", () => {
      const cache = createByteLruCache({ maxBytes: 6, sizeOf: byLength });
      cache.set("a", "aaa");
      cache.set("b", "bbb");
      cache.has("a");
      cache.set("c", "ccc");
      expect(cache.has("a")).toBe(false);
    });

    it("evicts as many old entries as a large value needs", () => {
      const evicted: string[] = [];
      const cache = createByteLruCache({
        maxBytes: 10,
        sizeOf: byLength,
        onEvict: (key) => evicted.push(key),
      });
      for (const key of ["a", "b", "c", "d", "e"]) cache.set(key, "xx");
      cache.set("big", "x".repeat(7));
      expect(evicted).toEqual(["a", "b", "c", "d"]);
      expect(cache.bytes).toBe(9);
    });

    it("re-measures an overwritten key and makes it most recent", () => {
      const cache = createByteLruCache({ maxBytes: 10, sizeOf: byLength });
      cache.set("a", "aaa");
      cache.set("b", "bbb");
      cache.set("a", "aaaaa");
      expect(cache.bytes).toBe(8);
      cache.set("c", "ccc");
      expect(cache.has("b")).toBe(false);
      expect(cache.get("a")).toBe("aaaaa");
    });
  });

  it("delete and clear release bytes without reporting evictions", () => {
    const evicted: string[] = [];
    const cache = createByteLruCache({
      maxBytes: 10,
      sizeOf: byLength,
      onEvict: (key) => evicted.push(key),
    });
    cache.set("a", "aaa");
    cache.set("b", "bbb");
    expect(cache.delete("a")).toBe(true);
    expect(cache.delete("a")).toBe(false);
    expect(cache.bytes).toBe(3);
    cache.clear();
    expect(cache.bytes).toBe(0);
    expect(cache.size).toBe(0);
    expect(evicted).toEqual([]);
  });
});
