import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fullCollection, startIdleCollector } from "./idle-collector.ts";

const MiB = 1024 * 1024;

/** A process whose collections leave `state.freesTo` (null: they free nothing). */
function fakeProcess() {
  const state = {
    requests: 0,
    external: 10 * MiB,
    collections: 0,
    freesTo: (12 * MiB) as number | null,
  };
  const stop = startIdleCollector({
    intervalMs: 1000,
    minGrowthBytes: 64 * MiB,
    requestsSeen: () => state.requests,
    externalBytes: () => state.external,
    collect: () => {
      state.collections++;
      if (state.freesTo !== null) state.external = state.freesTo;
    },
  });
  return { state, stop };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("startIdleCollector", () => {
  it("collects once when a burst's buffers outlive it and no request comes for an interval", () => {
    const { state, stop } = fakeProcess();
    state.requests = 40; // the burst
    state.external = 400 * MiB;
    vi.advanceTimersByTime(1000);
    expect(state.collections).toBe(0); // requests came during that interval
    vi.advanceTimersByTime(1000);
    expect(state.collections).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(state.collections).toBe(1); // nothing grew since
    stop();
  });

  it("never collects while requests keep coming, however much memory grew", () => {
    const { state, stop } = fakeProcess();
    for (let i = 0; i < 10; i++) {
      state.requests++;
      state.external += 100 * MiB;
      vi.advanceTimersByTime(1000);
    }
    expect(state.collections).toBe(0);
    stop();
  });

  it("leaves small growth to V8 and measures growth from the lowest level seen", () => {
    const { state, stop } = fakeProcess();
    state.external = 60 * MiB;
    vi.advanceTimersByTime(3000);
    expect(state.collections).toBe(0);
    state.external = 5 * MiB; // returned by V8's own collections
    vi.advanceTimersByTime(1000);
    state.external = 70 * MiB; // 65 MiB over the lowest level
    vi.advanceTimersByTime(1000);
    expect(state.collections).toBe(1);
    stop();
  });

  it("retries a collection that freed too little after 2, 4, 8 … idle looks, until one frees", () => {
    const { state, stop } = fakeProcess();
    state.requests = 40;
    state.external = 400 * MiB;
    state.freesTo = null; // still held (a refused upload's connection not yet closed)
    vi.advanceTimersByTime(1000); // the burst's look
    const collectionsAfter = (looks: number) => {
      vi.advanceTimersByTime(looks * 1000);
      return state.collections;
    };
    expect(collectionsAfter(1)).toBe(1);
    expect(collectionsAfter(1)).toBe(1); // waits one look
    expect(collectionsAfter(1)).toBe(2);
    expect(collectionsAfter(3)).toBe(2); // then three
    expect(collectionsAfter(1)).toBe(3);
    state.freesTo = 12 * MiB; // the connection is gone: the buffers are garbage now
    expect(collectionsAfter(7)).toBe(3);
    expect(collectionsAfter(1)).toBe(4);
    expect(state.external).toBe(12 * MiB);
    expect(collectionsAfter(20)).toBe(4);
    stop();
  });

  it("stops looking once stopped", () => {
    const { state, stop } = fakeProcess();
    stop();
    state.external = 500 * MiB;
    vi.advanceTimersByTime(5000);
    expect(state.collections).toBe(0);
  });
});

describe("fullCollection", () => {
  it("frees Buffers nothing refers to any more", async () => {
    vi.useRealTimers();
    const collect = fullCollection();
    let held: Buffer[] | null = Array.from({ length: 16 }, () => Buffer.alloc(4 * MiB, 1));
    const before = process.memoryUsage().arrayBuffers;
    expect(held).toHaveLength(16);
    held = null;
    // V8 sweeps freed ArrayBuffers just after the collection.
    for (let i = 0; i < 20 && process.memoryUsage().arrayBuffers > before - 48 * MiB; i++) {
      collect();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(before - 48 * MiB);
  });
});
