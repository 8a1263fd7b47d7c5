import { describe, expect, it } from "vitest";
import { softmax } from "../math/log-space.ts";
import type { Calibration } from "./calibration-schema.ts";
import { createEnsembleRule } from "./create-ensemble-rule.ts";
import { averageProbabilities, legacyCnnWeight } from "./legacy-ensemble.ts";

function calibration(ensemble: Calibration["ensemble"]): Calibration {
  const accuracies = { cnn: 0.8, clip: 0.7, auto: 0.85, force: 0.84 };
  return {
    version: 1,
    temperatures: { cnn: 2, clip: 0.5 },
    ensemble,
    routing: { threshold: 0.6, share: 0.25, choice: "best-within-max-share" },
    fitted: accuracies,
    curve: [{ share: 0, accuracy: 0.8 }],
    data: { name: "t", count: 10, sha256: "0".repeat(64) },
    fittedAt: "2025-01-01T00:00:00Z",
  };
}

const sum = (xs: Float32Array) => xs.reduce((a, b) => a + b, 0);

describe("createEnsembleRule without a calibration (legacy)", () => {
  const rule = createEnsembleRule(null);

  it("routes below 0.85 on the CNN's plain softmax", () => {
    expect(rule).toMatchObject({ kind: "legacy", threshold: 0.85 });
    const view = rule.cnn([2, 0, 0]);
    expect(view.top).toBe(0);
    expect(view.confidence).toBeCloseTo(softmax([2, 0, 0])[0] as number, 6);
    expect(rule.routes(view.confidence)).toBe(true);
    expect(rule.routes(0.85)).toBe(false);
  });

  it("averages probabilities with the CNN weight linear in its confidence", () => {
    const cnn = [2, 0, 0];
    const clip = [0, 3, 0];
    const confidence = softmax(cnn)[0] as number;
    const weight = legacyCnnWeight(confidence, 0.65);
    const { probabilities, cnnWeight } = rule.combine(cnn, clip);
    expect(cnnWeight).toBeCloseTo(weight, 6);
    const expected = averageProbabilities(softmax(cnn), softmax(clip), weight);
    probabilities.forEach((p, i) => {
      expect(p).toBeCloseTo(expected[i] as number, 6);
    });
  });

  it("applies the operator's thresholds", () => {
    const tuned = createEnsembleRule(null, { high: 0.9, low: 0.5 });
    expect(tuned.threshold).toBe(0.9);
    expect(tuned.combine([0, 0], [0, 0]).cnnWeight).toBeCloseTo(0.5, 6);
  });

  it("takes log-probabilities from a CNN that outputs probabilities", () => {
    const view = rule.cnn([0.7, 0.2, 0.1].map(Math.log));
    expect(Array.from(view.probabilities).map((p) => +p.toFixed(6))).toEqual([0.7, 0.2, 0.1]);
  });
});

describe("createEnsembleRule with a calibration", () => {
  const rule = createEnsembleRule(calibration({ rule: "log-linear", cnnWeight: 0.5 }));

  it("routes on the temperature-scaled CNN confidence below the fitted threshold", () => {
    expect(rule).toMatchObject({ kind: "calibrated", threshold: 0.6 });
    const view = rule.cnn([2, 0]);
    expect(view.confidence).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(rule.routes(view.confidence)).toBe(false);
    expect(
      createEnsembleRule(calibration({ rule: "log-linear", cnnWeight: 0.5 }), { high: 0.9 }).routes(
        0.8,
      ),
    ).toBe(true);
  });

  it("returns softmax of the weighted log-probabilities, a probability vector", () => {
    const { probabilities, cnnWeight } = rule.combine([2, 0], [0, 1]);
    expect(cnnWeight).toBe(0.5);
    // 0.5·(z/2) + 0.5·(v/0.5) up to a constant: [0.5, 1] → softmax.
    const expected = softmax([0.5, 1]);
    expect(probabilities[0]).toBeCloseTo(expected[0] as number, 6);
    expect(sum(probabilities)).toBeCloseTo(1, 6);
  });

  it("gives the CNN's calibrated answer at weight 1, and picks band weights by confidence", () => {
    const cnnOnly = createEnsembleRule(calibration({ rule: "log-linear", cnnWeight: 1 }));
    expect(Array.from(cnnOnly.combine([2, 0], [0, 9]).probabilities)).toEqual(
      Array.from(cnnOnly.cnn([2, 0]).probabilities),
    );
    const banded = createEnsembleRule(
      calibration({
        rule: "confidence-bands",
        bands: [
          { from: 0, cnnWeight: 0.2 },
          { from: 0.7, cnnWeight: 0.9 },
        ],
      }),
    );
    expect(banded.combine([0.1, 0], [0, 1]).cnnWeight).toBe(0.2);
    expect(banded.combine([8, 0], [0, 1]).cnnWeight).toBe(0.9);
  });

  it("refuses scores over different label counts", () => {
    expect(() => rule.combine([1, 2], [1, 2, 3])).toThrow(/same labels/);
  });
});
