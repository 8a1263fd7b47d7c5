import { describe, expect, it, vi } from "vitest";
import { createByteLruCache } from "./byte-lru-cache.ts";
import { createCoalescingCache } from "./coalescing-cache.ts";

const byLength = (value: string) => value.length;

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setUp(maxBytes = 100) {
  const lru = createByteLruCache({ maxBytes, sizeOf: byLength });
  return { lru, cache: createCoalescingCache(lru) };
}

describe("createCoalescingCache", () => {
  it("computes on a miss, stores the value, then serves it as a hit", async () => {
    const { lru, cache } = setUp();
    const compute = vi.fn(async () => "embedding");

    await expect(cache.getOrCompute("img", compute)).resolves.toEqual({
      value: "embedding",
      hit: false,
      shared: false,
      level: "computed",
    });
    expect(lru.get("img")).toBe("embedding");
    await expect(cache.getOrCompute("img", compute)).resolves.toEqual({
      value: "embedding",
      hit: true,
      shared: false,
      level: "memory",
    });
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it("runs one computation for concurrent callers of the same key", async () => {
    const { cache } = setUp();
    const gate = deferred<string>();
    const compute = vi.fn(() => gate.promise);

    const callers = Array.from({ length: 5 }, () => cache.getOrCompute("img", compute));
    expect(cache.inFlight).toBe(1);
    gate.resolve("embedding");
    const results = await Promise.all(callers);

    expect(compute).toHaveBeenCalledTimes(1);
    expect(results[0]).toEqual({
      value: "embedding",
      hit: false,
      shared: false,
      level: "computed",
    });
    for (const result of results.slice(1)) {
      expect(result).toEqual({ value: "embedding", hit: true, shared: true, level: "memory" });
    }
    expect(cache.inFlight).toBe(0);
  });

  it("keeps different keys apart", async () => {
    const { cache } = setUp();
    const compute = vi.fn(async (key: string) => `v-${key}`);
    const results = await Promise.all(
      ["a", "b", "a"].map((key) => cache.getOrCompute(key, () => compute(key))),
    );
    expect(results.map((r) => r.value)).toEqual(["v-a", "v-b", "v-a"]);
    expect(compute).toHaveBeenCalledTimes(2);
  });

  it("does not cache a failure: every sharer sees it, and the next caller retries", async () => {
    const { lru, cache } = setUp();
    const gate = deferred<string>();
    const failing = vi.fn(() => gate.promise);

    const first = cache.getOrCompute("img", failing);
    const second = cache.getOrCompute("img", failing);
    gate.reject(new Error("model down"));
    await expect(first).rejects.toThrow("model down");
    await expect(second).rejects.toThrow("model down");
    expect(failing).toHaveBeenCalledTimes(1);
    expect(cache.inFlight).toBe(0);
    expect(lru.has("img")).toBe(false);

    await expect(cache.getOrCompute("img", async () => "recovered")).resolves.toEqual({
      value: "recovered",
      hit: false,
      shared: false,
      level: "computed",
    });
  });

  it("clears the in-flight entry when compute throws synchronously", async () => {
    const { cache } = setUp();
    const throwing = (): Promise<string> => {
      throw new Error("bad input");
    };
    await expect(cache.getOrCompute("img", throwing)).rejects.toThrow("bad input");
    expect(cache.inFlight).toBe(0);
  });

  it("returns a value too large to cache, and computes it again next time", async () => {
    const { lru, cache } = setUp(4);
    const compute = vi.fn(async () => "too long");
    await expect(cache.getOrCompute("img", compute)).resolves.toMatchObject({ hit: false });
    expect(lru.size).toBe(0);
    await expect(cache.getOrCompute("img", compute)).resolves.toMatchObject({ hit: false });
    expect(compute).toHaveBeenCalledTimes(2);
  });
});
