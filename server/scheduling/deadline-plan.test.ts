import { describe, expect, it } from "vitest";
import { nextBatch, planLast } from "./deadline-plan.ts";

// A model at 100 ms per item plus 20 ms per call.
const estimate = (size: number) => 20 + 100 * size;

describe("nextBatch", () => {
  it("takes the longest run that finishes before the earliest deadline in it", () => {
    const plan = nextBatch([1000, 1000, 350, 1000, 1000], 0, 0, 8, estimate);
    expect(plan).toEqual({ unmeetable: [], items: [0, 1, 2], finish: 320 });
  });

  it("stops at maxBatchSize", () => {
    const plan = nextBatch(Array(10).fill(Number.POSITIVE_INFINITY), 0, 0, 8, estimate);
    expect(plan.items).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("sets aside leading items that cannot make it even alone", () => {
    const plan = nextBatch([100, 119, 120, 500], 0, 0, 8, estimate);
    expect(plan).toEqual({ unmeetable: [0, 1], items: [2], finish: 120 });
  });
});

describe("planLast", () => {
  it("admits an item that fits in a later batch", () => {
    expect(planLast([500, 500, 500, 500, 900], [0], 8, estimate)).toEqual({
      meetsDeadline: true,
      expectedFinish: 540,
    });
  });

  it("refuses an item that the batches ahead leave no time for", () => {
    expect(planLast([500, 500, 500, 500, 500], [0], 8, estimate)).toEqual({
      meetsDeadline: false,
      expectedFinish: 540,
    });
  });

  it("starts on the slot that frees first", () => {
    expect(planLast([300, 300], [400, 50], 8, estimate).meetsDeadline).toBe(true);
    expect(planLast([300, 300], [400, 100], 8, estimate).meetsDeadline).toBe(false);
  });
});
