import { describe, expect, it } from "vitest";
import { averageProbabilities, LEGACY_THRESHOLDS, legacyCnnWeight } from "./legacy-ensemble.ts";

describe("legacy ensemble", () => {
  const { low } = LEGACY_THRESHOLDS;

  it("weights the CNN 0 at zero confidence, 0.5 at low and 1 at certainty, linearly between", () => {
    expect(legacyCnnWeight(0, low)).toBe(0);
    expect(legacyCnnWeight(low / 2, low)).toBeCloseTo(0.25, 12);
    expect(legacyCnnWeight(low, low)).toBe(0.5);
    expect(legacyCnnWeight((low + 1) / 2, low)).toBeCloseTo(0.75, 12);
    expect(legacyCnnWeight(1, low)).toBe(1);
  });

  it("handles the degenerate lows as the service always has", () => {
    expect(legacyCnnWeight(0.4, 0)).toBeCloseTo(0.7, 12);
    expect(legacyCnnWeight(1, 1)).toBe(0.5);
  });

  it("averages probability vectors", () => {
    expect(Array.from(averageProbabilities([1, 0], [0, 1], 0.25))).toEqual([0.25, 0.75]);
    expect(() => averageProbabilities([1], [0.5, 0.5], 0.5)).toThrow(/same labels/);
  });
});
