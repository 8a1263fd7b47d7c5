import { describe, expect, it } from "vitest";
import { LOG_PROB_FLOOR, logSoftmax, logSumExp, softmax } from "./log-space.ts";

describe("log-space", () => {
  it("softmax sums to 1 and matches the textbook formula", () => {
    const p = softmax([1, 2, 3]);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[2]).toBeCloseTo(Math.exp(3) / z, 12);
  });

  it("is stable for huge logits", () => {
    const lp = logSoftmax([1000, 1001, 999]);
    expect(Number.isFinite(lp[0])).toBe(true);
    expect(lp[1]).toBeCloseTo(-Math.log(1 + Math.exp(-1) + Math.exp(-2)), 12);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 9);
  });

  it("divides by the temperature", () => {
    expect(Array.from(softmax([2, 4], 2))).toEqual(Array.from(softmax([1, 2])));
  });

  it("accepts log-probabilities, including log 0, and returns them unchanged but floored", () => {
    const lp = logSoftmax([Math.log(0.25), Math.log(0.75), Math.log(0)]);
    expect(lp[0]).toBeCloseTo(Math.log(0.25), 12);
    expect(lp[2]).toBe(LOG_PROB_FLOOR);
  });

  it("refuses a vector with no finite value", () => {
    expect(() => logSoftmax([Number.NEGATIVE_INFINITY])).toThrow(/finite/);
  });
});
