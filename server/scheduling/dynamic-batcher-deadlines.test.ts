import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeadlineUnmeetableError } from "../load-control/load-refusals.ts";
import {
  type BatchStats,
  createDynamicBatcher,
  type Overrun,
  type Rejection,
} from "./dynamic-batcher.ts";
import { createLatencyModel } from "./latency-model.ts";

const PER_ITEM_MS = 100;
const OVERHEAD_MS = 20;
const costOf = (size: number) => OVERHEAD_MS + PER_ITEM_MS * size;

/**
 * A fake model whose compute time is a fake-timer delay of 20 ms + 100 ms per item; it records
 * when each call started and ended, on the fake clock.
 */
function timedModel(cost = costOf) {
  const calls: { items: string[]; startedAt: number; endedAt?: number }[] = [];
  const run = vi.fn(async (items: string[]) => {
    const call: { items: string[]; startedAt: number; endedAt?: number } = {
      items,
      startedAt: Date.now(),
    };
    calls.push(call);
    await new Promise((resolve) => setTimeout(resolve, cost(items.length)));
    call.endedAt = Date.now();
    return items.map((item) => item.toUpperCase());
  });
  return { run, calls, batches: () => calls.map((call) => call.items) };
}

/** A latency model that already knows the fake model, as the warm-up leaves it. */
function seededLatency(maxBatchSize = 8) {
  const latency = createLatencyModel();
  for (let size = 1; size <= maxBatchSize; size++) latency.observe(size, costOf(size));
  return latency;
}

const now = () => Date.now();

async function settleMicrotasks() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("batch sizing", () => {
  it("takes the largest batch that finishes before the earliest deadline in it", async () => {
    const model = timedModel();
    const batcher = createDynamicBatcher({ run: model.run, latency: seededLatency(), now });

    const deadlines = [1000, 1000, 350, 1000, 1000];
    const results = deadlines.map((deadline, i) =>
      batcher.submit(`item${i}`, { deadline: now() + deadline }),
    );
    await vi.runAllTimersAsync();
    await expect(Promise.all(results)).resolves.toHaveLength(5);

    // A batch of four (420 ms) would miss the third item's 350 ms; three take 320 ms.
    expect(model.batches()).toEqual([
      ["item0", "item1", "item2"],
      ["item3", "item4"],
    ]);
    expect(model.calls.map((call) => call.endedAt)).toEqual([320, 540]);
  });

  it("plans on each size's upper bound, so calls that vary leave room for their spread", async () => {
    const model = timedModel();
    const latency = seededLatency();
    // Size 3 has run at 320 ms (twice), then 420 ms: average 340, deviation 20, bound 380.
    latency.observe(3, 320);
    latency.observe(3, 420);
    const batcher = createDynamicBatcher({ run: model.run, latency, now });

    const results = [0, 1, 2].map((i) => batcher.submit(`item${i}`, { deadline: now() + 350 }));
    await vi.runAllTimersAsync();
    await expect(Promise.all(results)).resolves.toHaveLength(3);

    // Three would make 350 ms on average (340) but not at their bound (380): two go first.
    expect(model.batches()).toEqual([["item0", "item1"], ["item2"]]);
  });

  it("fills batches to maxBatchSize when deadlines leave room, as without deadlines", async () => {
    const model = timedModel();
    const batcher = createDynamicBatcher({ run: model.run, latency: seededLatency(), now });
    const results = Array.from({ length: 8 }, (_, i) =>
      batcher.submit(`item${i}`, { deadline: now() + 10_000 }),
    );
    await vi.runAllTimersAsync();
    await Promise.all(results);
    expect(model.batches().map((batch) => batch.length)).toEqual([8]);
  });
});

describe("admission", () => {
  it("refuses at once, without calling run, an item that cannot make its deadline even alone", async () => {
    const model = timedModel();
    const rejections: Rejection[] = [];
    const batcher = createDynamicBatcher({
      run: model.run,
      latency: seededLatency(),
      now,
      onReject: (rejection) => rejections.push(rejection),
    });

    const refused = batcher.submit("late", { deadline: now() + 119 });
    expect(batcher.queueLength).toBe(0);
    await expect(refused).rejects.toBeInstanceOf(DeadlineUnmeetableError);
    await expect(refused).rejects.toThrow("expected 1 ms late");
    await settleMicrotasks();
    expect(model.run).not.toHaveBeenCalled();
    expect(rejections).toEqual([{ reason: "deadline" }]);
  });

  it("refuses at submit an item whose turn, behind the batch running and the queue, comes too late", async () => {
    const model = timedModel();
    const batcher = createDynamicBatcher({ run: model.run, latency: seededLatency(), now });

    const running = Array.from({ length: 8 }, (_, i) => batcher.submit(`busy${i}`));
    await settleMicrotasks();
    // The batch of 8 is expected to end at 820 ms; the queued item goes next, alone, until 940.
    const queued = batcher.submit("queued");
    vi.advanceTimersByTime(100);

    const tooLate = batcher.submit("too late", { deadline: now() + 500 });
    await expect(tooLate).rejects.toBeInstanceOf(DeadlineUnmeetableError);
    // At 100 ms: 820 + a batch of two (220) = 1040, 940 ms from now.
    const inTime = batcher.submit("in time", { deadline: now() + 940 });
    expect(batcher.queueLength).toBe(2);

    await vi.runAllTimersAsync();
    await expect(Promise.all([...running, queued, inTime])).resolves.toHaveLength(10);
    expect(model.batches()[1]).toEqual(["queued", "in time"]);
    expect(model.calls[1]?.endedAt).toBe(1040);
  });

  it("refuses at dispatch, before compute, an admitted item that the model's slowness made late", async () => {
    let slowdown = 1;
    const model = timedModel((size) => costOf(size) * slowdown);
    const rejections: Rejection[] = [];
    const batcher = createDynamicBatcher({
      run: model.run,
      latency: seededLatency(),
      now,
      onReject: (rejection) => rejections.push(rejection),
    });

    slowdown = 3;
    const first = batcher.submit("first");
    await settleMicrotasks();
    // Expected at 120 + 120 = 240 when admitted; the first call really ends at 360.
    const second = batcher.submit("second", { deadline: now() + 300 });
    const expectation = expect(second).rejects.toBeInstanceOf(DeadlineUnmeetableError);
    await vi.runAllTimersAsync();
    await expectation;
    await expect(first).resolves.toBe("FIRST");
    expect(model.batches()).toEqual([["first"]]);
    expect(rejections).toEqual([{ reason: "deadline" }]);
  });

  it("after a second idle, runs one item its stale estimates would refuse, and learns from it", async () => {
    const model = timedModel();
    const latency = createLatencyModel({ smoothing: 1 });
    // Estimates from a slow spell: 1000 ms per call, far over the 500 ms deadlines below.
    latency.observe(1, 1000);
    latency.observe(1, 1000);
    const rejections: Rejection[] = [];
    const batcher = createDynamicBatcher({
      run: model.run,
      latency,
      now,
      onReject: (rejection) => rejections.push(rejection),
    });

    await expect(batcher.submit("early", { deadline: now() + 500 })).rejects.toBeInstanceOf(
      DeadlineUnmeetableError,
    );
    vi.advanceTimersByTime(1000);
    const probe = batcher.submit("probe", { deadline: now() + 500 });
    await settleMicrotasks();
    // While the probe runs, the estimates still hold: others are refused.
    await expect(batcher.submit("beside", { deadline: now() + 500 })).rejects.toBeInstanceOf(
      DeadlineUnmeetableError,
    );
    await vi.runAllTimersAsync();
    await expect(probe).resolves.toBe("PROBE");
    // The probe took 120 ms, and the estimates have learned it.
    expect(latency.estimateMs(1)).toBe(120);
    expect(model.batches()).toEqual([["probe"]]);
    expect(rejections).toEqual([{ reason: "deadline" }, { reason: "deadline" }]);
  });

  it("refuses nothing for time before any batch has been measured", async () => {
    const model = timedModel();
    const batcher = createDynamicBatcher({ run: model.run, now });
    const result = batcher.submit("a", { deadline: now() + 1 });
    await vi.runAllTimersAsync();
    await expect(result).resolves.toBe("A");
  });

  it("leaves items without a deadline alone however slow the model is", async () => {
    const model = timedModel();
    const batcher = createDynamicBatcher({ run: model.run, latency: seededLatency(), now });
    const results = Array.from({ length: 12 }, (_, i) => batcher.submit(`item${i}`));
    await vi.runAllTimersAsync();
    await expect(Promise.all(results)).resolves.toHaveLength(12);
    expect(model.batches().map((batch) => batch.length)).toEqual([8, 4]);
  });
});

describe("latency learning", () => {
  it("learns each size from the batches it runs and interpolates the sizes it has not seen", async () => {
    const model = timedModel();
    const batcher = createDynamicBatcher({ run: model.run, now });
    expect(batcher.estimateMs(1)).toBeUndefined();

    // What the warm-up does: a lone item, then a batch submitted in one tick.
    await Promise.all([batcher.submit("a"), vi.runAllTimersAsync()]);
    const four = Array.from({ length: 4 }, (_, i) => batcher.submit(`b${i}`));
    await vi.runAllTimersAsync();
    await Promise.all(four);

    expect(batcher.estimateMs(1)).toBe(120);
    expect(batcher.estimateMs(4)).toBe(420);
    expect(batcher.estimateMs(2)).toBeCloseTo(220);
    expect(batcher.estimateMs(8)).toBeCloseTo(820);
  });

  it("learns from every call that answered, never from one that failed", async () => {
    const latency = createLatencyModel();
    const batcher = createDynamicBatcher({
      run: async (items: string[]) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (items.includes("bad")) throw new Error("cannot score bad");
        return items;
      },
      latency,
      now,
    });
    const results = Promise.allSettled([batcher.submit("ok"), batcher.submit("bad")]);
    await vi.runAllTimersAsync();
    await results;
    // The batch of two failed; of the solo retries only the good item's call answered.
    expect(latency.measuredSizes).toEqual([1]);
    expect(latency.estimateMs(1)).toBe(50);
  });
});

describe("overruns", () => {
  it("reports a call running past max(2 × estimate, floor), again each period, and stops when it ends", async () => {
    const overruns: Overrun[] = [];
    let release = () => {};
    const batcher = createDynamicBatcher({
      run: (items: string[]) =>
        new Promise<string[]>((resolve) => {
          release = () => resolve(items);
        }),
      latency: seededLatency(),
      now,
      overrunFloorMs: 100,
      onOverrun: (overrun) => overruns.push(overrun),
    });

    const result = batcher.submit("a");
    await settleMicrotasks();
    await vi.advanceTimersByTimeAsync(239);
    expect(overruns).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(overruns).toEqual([{ size: 1, estimateMs: 120, elapsedMs: 240 }]);
    await vi.advanceTimersByTimeAsync(240);
    expect(overruns).toHaveLength(2);

    release();
    await expect(result).resolves.toBe("a");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("uses the floor for calls estimated short (default 1 s)", async () => {
    const overruns: Overrun[] = [];
    const latency = createLatencyModel();
    latency.observe(1, 5);
    const batcher = createDynamicBatcher({
      run: () => new Promise<string[]>(() => {}),
      latency,
      now,
      onOverrun: (overrun) => overruns.push(overrun),
    });
    void batcher.submit("a");
    await vi.advanceTimersByTimeAsync(999);
    expect(overruns).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(overruns).toHaveLength(1);
  });
});

describe("a burst of 16 with 500 ms deadlines, at 100 ms per item + 20 ms per call", () => {
  it("finishes every admitted item in time and computes nothing that is then dropped", async () => {
    const model = timedModel();
    const stats: BatchStats[] = [];
    const rejections: Rejection[] = [];
    const batcher = createDynamicBatcher({
      run: model.run,
      now,
      onBatch: (batch) => stats.push(batch),
      onReject: (rejection) => rejections.push(rejection),
    });
    // Warm-up: every batch size through the batcher, without deadlines, teaches it the model.
    for (let size = 1; size <= 8; size++) {
      const warm = Array.from({ length: size }, () => batcher.submit("warm"));
      await vi.runAllTimersAsync();
      await Promise.all(warm);
    }
    model.calls.length = 0;

    const start = now();
    const deadline = start + 500;
    const outcomes = Array.from({ length: 16 }, (_, i) =>
      batcher.submit(`item${i}`, { deadline }).then(
        (value) => ({ ok: true as const, value, at: now() }),
        (error: unknown) => ({ ok: false as const, error, at: now() }),
      ),
    );
    await vi.runAllTimersAsync();
    const settled = await Promise.all(outcomes);

    const answered = settled.filter((outcome) => outcome.ok);
    const refused = settled.filter((outcome) => !outcome.ok);
    // Four items fit in 500 ms (a batch of four ends at 420; nothing else can follow in time).
    expect(answered).toHaveLength(4);
    for (const outcome of answered) expect(outcome.at).toBeLessThanOrEqual(deadline);
    for (const outcome of refused) {
      expect(outcome.error).toBeInstanceOf(DeadlineUnmeetableError);
      // Refused on submit, not after waiting.
      expect(outcome.at).toBe(start);
    }
    // Everything computed was answered: no compute was spent on an item then dropped.
    expect(model.calls.flatMap((call) => call.items)).toEqual(
      answered.map((outcome) => (outcome.ok ? outcome.value.toLowerCase() : "")),
    );
    expect(rejections).toHaveLength(12);
  });

  it("under a steady overload, serves a full share and still answers every admitted item in time", async () => {
    const model = timedModel();
    const latency = seededLatency();
    const batcher = createDynamicBatcher({ run: model.run, latency, now });
    const outcomes: Promise<{ ok: boolean; late: boolean }>[] = [];

    // One item every 20 ms for 3 s: 50/s against a model that manages ~8/s in batches of 4.
    for (let t = 0; t < 3000; t += 20) {
      const deadline = now() + 500;
      outcomes.push(
        batcher.submit(`item${t}`, { deadline }).then(
          () => ({ ok: true, late: now() > deadline }),
          () => ({ ok: false, late: false }),
        ),
      );
      await vi.advanceTimersByTimeAsync(20);
    }
    await vi.runAllTimersAsync();
    const settled = await Promise.all(outcomes);

    const answered = settled.filter((outcome) => outcome.ok);
    expect(answered.every((outcome) => !outcome.late)).toBe(true);
    expect(model.calls.flatMap((call) => call.items)).toHaveLength(answered.length);
    // Batching still pays under deadlines: more than one-at-a-time (3000 / 120 = 25) would give.
    expect(answered.length).toBeGreaterThan(25);
  });
});
