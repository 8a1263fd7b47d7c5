import { describe, expect, it } from "vitest";
import { createLatencyModel } from "./latency-model.ts";

describe("createLatencyModel", () => {
  it("knows nothing before the first measurement", () => {
    const latency = createLatencyModel();
    expect(latency.estimateMs(1)).toBeUndefined();
    expect(latency.measuredSizes).toEqual([]);
  });

  it("lets a size's second call replace its first (onnxruntime's per-shape setup)", () => {
    const latency = createLatencyModel();
    latency.observe(4, 900);
    expect(latency.estimateMs(4)).toBe(900);
    latency.observe(4, 100);
    expect(latency.estimateMs(4)).toBe(100);
  });

  it("then keeps a moving average per size (weight 0.2 by default)", () => {
    const latency = createLatencyModel();
    latency.observe(4, 900);
    latency.observe(4, 100);
    latency.observe(4, 200);
    expect(latency.estimateMs(4)).toBeCloseTo(120);
    expect(latency.measuredSizes).toEqual([4]);
  });

  it("interpolates between the nearest measured sizes", () => {
    const latency = createLatencyModel({ smoothing: 1 });
    latency.observe(2, 220);
    latency.observe(6, 620);
    latency.observe(8, 900);
    expect(latency.estimateMs(4)).toBeCloseTo(420);
    expect(latency.estimateMs(7)).toBeCloseTo(760);
  });

  it("extrapolates with the slope fitted on every measured size", () => {
    const latency = createLatencyModel({ smoothing: 1 });
    for (const size of [2, 3, 4]) latency.observe(size, 20 + 100 * size);
    expect(latency.estimateMs(8)).toBeCloseTo(820);
    expect(latency.estimateMs(1)).toBeCloseTo(120);
  });

  it("with one measured size, takes it all as per-item cost above it and never goes below it", () => {
    const latency = createLatencyModel();
    latency.observe(2, 200);
    expect(latency.estimateMs(4)).toBe(400);
    expect(latency.estimateMs(1)).toBe(200);
  });

  it("never lets a larger batch look cheaper, whatever the noise", () => {
    const latency = createLatencyModel({ smoothing: 1 });
    latency.observe(1, 300);
    latency.observe(2, 100);
    expect(latency.estimateMs(4)).toBe(100);
  });

  it("bounds a size at its average plus twice its mean deviation", () => {
    const latency = createLatencyModel({ smoothing: 0.5 });
    latency.observe(4, 900);
    latency.observe(4, 100);
    // Steady calls: no spread yet, so the bound is the average.
    expect(latency.boundMs(4)).toBe(100);
    latency.observe(4, 200); // average 150, deviation 0.5 × |200 − 100| = 50
    expect(latency.estimateMs(4)).toBe(150);
    expect(latency.boundMs(4)).toBe(250);
  });

  it("gives an unmeasured size the spread of its nearest measured size, scaled by size", () => {
    const latency = createLatencyModel({ smoothing: 1 });
    latency.observe(2, 200);
    latency.observe(2, 200);
    latency.observe(2, 240); // deviation 40 at size 2
    latency.observe(8, 800);
    latency.observe(8, 800); // no spread at size 8
    expect(latency.boundMs(3)).toBeCloseTo((latency.estimateMs(3) as number) + 2 * 60);
    expect(latency.boundMs(7)).toBe(latency.estimateMs(7));
    expect(createLatencyModel().boundMs(1)).toBeUndefined();
  });

  it("ignores measurements that cannot be real and rejects a smoothing outside (0, 1]", () => {
    const latency = createLatencyModel();
    latency.observe(0, 10);
    latency.observe(2.5, 10);
    latency.observe(1, -5);
    expect(latency.measuredSizes).toEqual([]);
    expect(() => createLatencyModel({ smoothing: 0 })).toThrow(RangeError);
    expect(() => createLatencyModel({ smoothing: 1.5 })).toThrow(RangeError);
  });
});
