import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { QueueFullError } from "../load-control/load-refusals.ts";
import { type BatchStats, createDynamicBatcher } from "./dynamic-batcher.ts";

interface Call<I, O> {
  items: I[];
  resolve(results: O[]): void;
  reject(error: unknown): void;
}

/** A fake model whose batches finish only when the test says so. */
function controllableRun<I, O>() {
  const calls: Call<I, O>[] = [];
  const run = vi.fn(
    (items: I[]) =>
      new Promise<O[]>((resolve, reject) => {
        calls.push({ items, resolve, reject });
      }),
  );
  const call = (index: number) => {
    const found = calls[index];
    if (!found) throw new Error(`run was called ${calls.length} times, not ${index + 1}`);
    return found;
  };
  return { run, calls, call, batches: () => calls.map((c) => c.items) };
}

// The batcher's promise chains take a few hops between a batch settling and the next dispatch;
// flushing microtasks (never timers) proves nothing waited on a clock.
async function settleMicrotasks() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("dispatch", () => {
  it("runs a lone item on the next microtask, with no timer involved", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run, maxWaitMs: 1000 });

    const result = batcher.submit("a");
    expect(fake.run).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(fake.batches()).toEqual([["a"]]);
    expect(vi.getTimerCount()).toBe(0);

    fake.call(0).resolve(["A"]);
    await expect(result).resolves.toBe("A");
  });

  it("lets items submitted in the same tick share one batch", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run });

    const results = ["a", "b", "c"].map((item) => batcher.submit(item));
    await settleMicrotasks();
    expect(fake.batches()).toEqual([["a", "b", "c"]]);

    fake.call(0).resolve(["A", "B", "C"]);
    await expect(Promise.all(results)).resolves.toEqual(["A", "B", "C"]);
  });

  it("maps every result to its own caller across several batches", async () => {
    const batcher = createDynamicBatcher({
      run: async (items: number[]) => items.map((n) => n * 10),
      maxBatchSize: 3,
    });
    const results = await Promise.all(Array.from({ length: 10 }, (_, n) => batcher.submit(n)));
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it("accumulates while busy and dispatches up to maxBatchSize the moment a batch finishes", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run, maxBatchSize: 3, maxWaitMs: 1000 });

    const first = batcher.submit("a");
    await settleMicrotasks();
    const rest = ["b", "c", "d", "e"].map((item) => batcher.submit(item));
    await settleMicrotasks();
    expect(fake.batches()).toEqual([["a"]]);
    expect(batcher.queueLength).toBe(4);
    expect(batcher.running).toBe(true);

    fake.call(0).resolve(["A"]);
    await settleMicrotasks();
    expect(fake.batches()).toEqual([["a"], ["b", "c", "d"]]);
    expect(batcher.queueLength).toBe(1);

    fake.call(1).resolve(["B", "C", "D"]);
    await settleMicrotasks();
    expect(fake.batches()).toEqual([["a"], ["b", "c", "d"], ["e"]]);
    fake.call(2).resolve(["E"]);

    await expect(first).resolves.toBe("A");
    await expect(Promise.all(rest)).resolves.toEqual(["B", "C", "D", "E"]);
    expect(batcher.running).toBe(false);
  });

  it("with a single slot, never starts a second batch on maxWaitMs while one runs", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run, maxWaitMs: 10 });

    void batcher.submit("a");
    await settleMicrotasks();
    void batcher.submit("b");
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.batches()).toEqual([["a"]]);

    fake.call(0).resolve(["A"]);
    await settleMicrotasks();
    expect(fake.batches()).toEqual([["a"], ["b"]]);
  });

  it("with a free second slot, starts a partial batch once the oldest item waited maxWaitMs", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({
      run: fake.run,
      maxConcurrentBatches: 2,
      maxBatchSize: 4,
      maxWaitMs: 50,
    });

    void batcher.submit("a");
    await settleMicrotasks();
    void batcher.submit("b");
    await vi.advanceTimersByTimeAsync(20);
    void batcher.submit("c");
    await vi.advanceTimersByTimeAsync(29);
    expect(fake.batches()).toEqual([["a"]]);

    await vi.advanceTimersByTimeAsync(1);
    expect(fake.batches()).toEqual([["a"], ["b", "c"]]);
  });

  it("with a free second slot, starts a full batch without waiting", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({
      run: fake.run,
      maxConcurrentBatches: 2,
      maxBatchSize: 3,
      maxWaitMs: 1000,
    });

    void batcher.submit("a");
    await settleMicrotasks();
    for (const item of ["b", "c", "d", "e"]) void batcher.submit(item);
    await settleMicrotasks();
    expect(fake.batches()).toEqual([["a"], ["b", "c", "d"]]);
    expect(batcher.queueLength).toBe(1);
  });

  it("reports batch size, queue wait and compute time", async () => {
    const fake = controllableRun<string, string>();
    const stats: BatchStats[] = [];
    const batcher = createDynamicBatcher({ run: fake.run, onBatch: (s) => stats.push(s) });

    void batcher.submit("a");
    await settleMicrotasks();
    void batcher.submit("b");
    void batcher.submit("c");
    await vi.advanceTimersByTimeAsync(30);
    fake.call(0).resolve(["A"]);
    await settleMicrotasks();
    await vi.advanceTimersByTimeAsync(5);
    fake.call(1).resolve(["B", "C"]);
    await batcher.drain();

    expect(stats).toEqual([
      { size: 1, queueWaitMs: [0], computeMs: 30 },
      { size: 2, queueWaitMs: [30, 30], computeMs: 5 },
    ]);
  });

  it("rejects options that cannot work", () => {
    const run = async (items: number[]) => items;
    expect(() => createDynamicBatcher({ run, maxBatchSize: 0 })).toThrow(RangeError);
    expect(() => createDynamicBatcher({ run, maxConcurrentBatches: 1.5 })).toThrow(RangeError);
    expect(() => createDynamicBatcher({ run, maxWaitMs: -1 })).toThrow(RangeError);
  });
});

describe("queue limit", () => {
  it("sheds items past maxQueue with QueueFullError and counts only waiting items", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run, maxQueue: 2 });

    const running = batcher.submit("a");
    await settleMicrotasks();
    expect(batcher.queueLength).toBe(0);
    const queued = [batcher.submit("b"), batcher.submit("c")];
    expect(batcher.queueLength).toBe(2);

    const shed = batcher.submit("d");
    await expect(shed).rejects.toBeInstanceOf(QueueFullError);
    await expect(shed).rejects.toThrow(/full \(2 items waiting\)/);
    expect(batcher.queueLength).toBe(2);

    fake.call(0).resolve(["A"]);
    await settleMicrotasks();
    expect(batcher.queueLength).toBe(0);
    const accepted = batcher.submit("e");
    expect(batcher.queueLength).toBe(1);

    fake.call(1).resolve(["B", "C"]);
    await settleMicrotasks();
    fake.call(2).resolve(["E"]);
    await expect(Promise.all([running, ...queued, accepted])).resolves.toEqual([
      "A",
      "B",
      "C",
      "E",
    ]);
    expect(fake.batches().flat()).not.toContain("d");
  });
});

describe("failures", () => {
  const poisoned = vi.fn(async (items: string[]) => {
    if (items.includes("bad")) throw new Error("cannot score bad");
    return items.map((item) => item.toUpperCase());
  });

  beforeEach(() => {
    poisoned.mockClear();
  });

  it("retries each item of a failed batch alone, so only the poisoned one fails", async () => {
    const batcher = createDynamicBatcher({ run: poisoned });
    const [ok1, bad, ok2] = ["ok1", "bad", "ok2"].map((item) => batcher.submit(item));

    await expect(ok1).resolves.toBe("OK1");
    await expect(bad).rejects.toThrow("cannot score bad");
    await expect(ok2).resolves.toBe("OK2");
    expect(poisoned.mock.calls.map(([items]) => items)).toEqual([
      ["ok1", "bad", "ok2"],
      ["ok1"],
      ["bad"],
      ["ok2"],
    ]);
  });

  it("does not retry a lone item that fails", async () => {
    const batcher = createDynamicBatcher({ run: poisoned });
    await expect(batcher.submit("bad")).rejects.toThrow("cannot score bad");
    expect(poisoned).toHaveBeenCalledTimes(1);
  });

  it("treats a run that throws synchronously like one that rejects", async () => {
    const run = (items: string[]): Promise<string[]> => {
      if (items.includes("bad")) throw new Error("sync failure");
      return Promise.resolve(items);
    };
    const batcher = createDynamicBatcher({ run });
    const results = await Promise.allSettled([batcher.submit("good"), batcher.submit("bad")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
  });

  it("rejects the whole batch, without retrying, when run returns the wrong number of results", async () => {
    const run = vi.fn(async (items: string[]) => items.slice(1));
    const batcher = createDynamicBatcher({ run });
    const results = [batcher.submit("a"), batcher.submit("b")];

    for (const result of results) {
      await expect(result).rejects.toThrow("batch run returned 1 results for 2 items");
    }
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("keeps serving after a failed batch", async () => {
    const batcher = createDynamicBatcher({ run: poisoned });
    await expect(batcher.submit("bad")).rejects.toThrow();
    await expect(batcher.submit("fine")).resolves.toBe("FINE");
    expect(batcher.running).toBe(false);
  });
});

describe("abort", () => {
  it("drops an item aborted while queued and rejects it with the abort reason", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run });
    const controller = new AbortController();

    void batcher.submit("a");
    await settleMicrotasks();
    const dropped = batcher.submit("b", { signal: controller.signal });
    const kept = batcher.submit("c");
    expect(batcher.queueLength).toBe(2);

    const reason = new Error("timed out");
    controller.abort(reason);
    await expect(dropped).rejects.toBe(reason);
    expect(batcher.queueLength).toBe(1);

    fake.call(0).resolve(["A"]);
    await settleMicrotasks();
    expect(fake.batches()).toEqual([["a"], ["c"]]);
    fake.call(1).resolve(["C"]);
    await expect(kept).resolves.toBe("C");
  });

  it("never queues an item whose signal has already aborted", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run });

    const result = batcher.submit("a", { signal: AbortSignal.abort(new Error("too late")) });
    expect(batcher.queueLength).toBe(0);
    await expect(result).rejects.toThrow("too late");
    await settleMicrotasks();
    expect(fake.run).not.toHaveBeenCalled();
  });

  it("rejects a running item on abort without disturbing its batch-mates", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run });
    const controller = new AbortController();

    const aborted = batcher.submit("a", { signal: controller.signal });
    const mate = batcher.submit("b");
    await settleMicrotasks();
    controller.abort(new Error("timed out"));
    await expect(aborted).rejects.toThrow("timed out");

    fake.call(0).resolve(["A", "B"]);
    await expect(mate).resolves.toBe("B");
  });

  it("drops a queued item when its deadline fires while the model is busy", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("deadline")), 500);

    void batcher.submit("a");
    await settleMicrotasks();
    const late = batcher.submit("b", { signal: controller.signal });
    const expectation = expect(late).rejects.toThrow("deadline");
    await vi.advanceTimersByTimeAsync(500);
    await expectation;
    expect(batcher.queueLength).toBe(0);
  });
});

describe("drain", () => {
  it("resolves at once when idle", async () => {
    const batcher = createDynamicBatcher({ run: async (items: number[]) => items });
    await expect(batcher.drain()).resolves.toBeUndefined();
  });

  it("waits until queued and running batches have finished", async () => {
    const fake = controllableRun<string, string>();
    const batcher = createDynamicBatcher({ run: fake.run });
    let drained = false;

    void batcher.submit("a");
    await settleMicrotasks();
    void batcher.submit("b");
    const draining = batcher.drain().then(() => {
      drained = true;
    });

    fake.call(0).resolve(["A"]);
    await settleMicrotasks();
    expect(drained).toBe(false);
    expect(fake.batches()).toEqual([["a"], ["b"]]);

    fake.call(1).resolve(["B"]);
    await draining;
    expect(batcher.queueLength).toBe(0);
    expect(batcher.running).toBe(false);
  });

  it("resolves when the last queued item is aborted and nothing runs", async () => {
    const batcher = createDynamicBatcher({ run: async (items: number[]) => items });
    const controller = new AbortController();
    const result = batcher.submit(1, { signal: controller.signal });
    const draining = batcher.drain();
    controller.abort(new Error("gone"));
    await expect(result).rejects.toThrow("gone");
    await expect(draining).resolves.toBeUndefined();
  });
});
