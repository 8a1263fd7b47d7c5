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

const grid = Array.from({ length: 1001 }, (_, i) => i / 1000);

describe("legacyCnnWeight", () => {
  for (const low of [0.65, 0.3, 0.9, 0.5]) {
    describe(`with low ${low}`, () => {
      it("is 0.5 at low and 1 at confidence 1", () => {
        expect(legacyCnnWeight(low, low)).toBeCloseTo(0.5, 12);
        expect(legacyCnnWeight(1, low)).toBeCloseTo(1, 12);
      });

      it("is below 0.5 below low, so CLIP dominates, and 0 at zero confidence", () => {
        expect(legacyCnnWeight(0, low)).toBe(0);
        for (const c of grid.filter((c) => c < low))
          expect(legacyCnnWeight(c, low)).toBeLessThan(0.5);
      });

      it("is at least 0.5 from low upwards", () => {
        for (const c of grid.filter((c) => c >= low))
          expect(legacyCnnWeight(c, low)).toBeGreaterThanOrEqual(0.5);
      });

      it("never decreases with confidence and stays within [0, 1]", () => {
        let previous = -Infinity;
        for (const c of grid) {
          const w = legacyCnnWeight(c, low);
          expect(w).toBeGreaterThanOrEqual(previous);
          expect(w).toBeGreaterThanOrEqual(0);
          expect(w).toBeLessThanOrEqual(1);
          previous = w;
        }
      });

      it("is continuous at low", () => {
        expect(legacyCnnWeight(low - 1e-9, low)).toBeCloseTo(0.5, 6);
        expect(legacyCnnWeight(low + 1e-9, low)).toBeCloseTo(0.5, 6);
      });
    });
  }

  it("is linear on each side of low", () => {
    // 0.65: 0.5 · c / 0.65 below, 0.5 + 0.5 · (c − 0.65) / 0.35 above.
    expect(legacyCnnWeight(0.325, 0.65)).toBeCloseTo(0.25, 12);
    expect(legacyCnnWeight(0.825, 0.65)).toBeCloseTo(0.75, 12);
  });

  it("handles low = 0: 0.5 at zero confidence, 1 at certainty, monotone", () => {
    expect(legacyCnnWeight(0, 0)).toBe(0.5);
    expect(legacyCnnWeight(1, 0)).toBe(1);
    let previous = -Infinity;
    for (const c of grid) {
      expect(legacyCnnWeight(c, 0)).toBeGreaterThanOrEqual(previous);
      previous = legacyCnnWeight(c, 0);
    }
  });

  it("handles low = 1 without dividing by zero", () => {
    for (const c of grid) {
      const w = legacyCnnWeight(c, 1);
      expect(Number.isFinite(w)).toBe(true);
      expect(w).toBeLessThanOrEqual(0.5);
    }
    expect(legacyCnnWeight(1, 1)).toBe(0.5);
  });
});

describe("averageProbabilities", () => {
  const cnn = new Float32Array([0.7, 0.2, 0.1]);
  const clip = new Float32Array([0.1, 0.3, 0.6]);

  it("sums to 1 for probability inputs at any weight", () => {
    for (const weight of [0, 0.25, 0.5, 0.8, 1]) {
      const out = averageProbabilities(cnn, clip, weight);
      expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      for (const p of out) expect(p).toBeGreaterThanOrEqual(0);
    }
  });

  it("equals the CNN at weight 1 and CLIP at weight 0", () => {
    expect(averageProbabilities(cnn, clip, 1)).toEqual(cnn);
    expect(averageProbabilities(cnn, clip, 0)).toEqual(clip);
  });

  it("is the weighted average in between", () => {
    const out = averageProbabilities(cnn, clip, 0.75);
    expect(out[0]).toBeCloseTo(0.75 * 0.7 + 0.25 * 0.1, 6);
    expect(out[2]).toBeCloseTo(0.75 * 0.1 + 0.25 * 0.6, 6);
  });

  it("can change the winner as the weight moves", () => {
    expect(argMaxOf(averageProbabilities(cnn, clip, 0.8))).toBe(0);
    expect(argMaxOf(averageProbabilities(cnn, clip, 0.2))).toBe(2);
  });

  it("returns a new array and leaves its inputs alone", () => {
    const out = averageProbabilities(cnn, clip, 0.5);
    expect(out).not.toBe(cnn);
    expect(Array.from(cnn)).toEqual([0.7, 0.2, 0.1].map(Math.fround));
    expect(Array.from(clip)).toEqual([0.1, 0.3, 0.6].map(Math.fround));
  });

  it("rejects score vectors of different lengths", () => {
    expect(() => averageProbabilities(cnn, new Float32Array(2), 0.5)).toThrow("same labels");
  });
});

function argMaxOf(values: Float32Array): number {
  return values.indexOf(Math.max(...values));
}
