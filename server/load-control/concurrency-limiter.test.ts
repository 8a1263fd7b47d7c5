import { describe, expect, it } from "vitest";
import { createConcurrencyLimiter } from "./concurrency-limiter.ts";
import { QueueFullError } from "./load-refusals.ts";

/** A task that runs until the test releases it, recording how many ran beside it. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("createConcurrencyLimiter", () => {
  it("runs at most `concurrency` tasks at once, the rest in arrival order", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 2, maxQueue: 10 });
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    let peakActive = 0;
    const done = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        peakActive = Math.max(peakActive, limiter.active);
        await g.opened;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect([limiter.active, limiter.waiting]).toEqual([2, 3]);

    gates[1]?.open();
    await done[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect([limiter.active, limiter.waiting]).toEqual([2, 2]);

    for (const g of gates) g.open();
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect([limiter.active, limiter.waiting, peakActive]).toEqual([0, 0, 2]);
  });

  it("refuses a task with QueueFullError once maxQueue are waiting", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, maxQueue: 1 });
    const g = gate();
    const running = limiter.run(() => g.opened);
    const queued = limiter.run(async () => "queued");
    await expect(limiter.run(async () => "refused")).rejects.toBeInstanceOf(QueueFullError);
    g.open();
    await running;
    expect(await queued).toBe("queued");
    expect(limiter.active).toBe(0);
  });

  it("frees the slot when a task throws", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, maxQueue: 1 });
    await expect(
      limiter.run(async () => {
        throw new Error("decode failed");
      }),
    ).rejects.toThrow("decode failed");
    expect(limiter.active).toBe(0);
    expect(await limiter.run(async () => "next")).toBe("next");
  });

  it("rejects a concurrency that is not a positive integer", () => {
    expect(() => createConcurrencyLimiter({ concurrency: 0, maxQueue: 1 })).toThrow(/positive/);
  });
});
