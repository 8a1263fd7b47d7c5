import { describe, expect, it } from "vitest";
import {
  accuracies,
  cascadeCurve,
  chooseOperatingPoint,
  type ImageOutcome,
  sampleCurve,
} from "./cascade-curve.ts";

const outcome = (confidence: number, cnnRight: boolean, ensembleRight: boolean): ImageOutcome => ({
  confidence,
  cnnRight,
  clipRight: ensembleRight,
  ensembleRight,
});

// Least confident first: the ensemble fixes the two least confident, breaks the fourth.
const outcomes = [
  outcome(0.2, false, true),
  outcome(0.3, false, true),
  outcome(0.5, true, true),
  outcome(0.6, true, false),
  outcome(0.9, true, true),
];

describe("cascade curve", () => {
  it("has a point per share a threshold can produce, with that threshold's accuracy", () => {
    const curve = cascadeCurve(outcomes);
    expect(curve.map((p) => p.share)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(curve.map((p) => p.accuracy)).toEqual([0.6, 0.8, 1, 1, 0.8, 0.8]);
    for (const p of curve) expect(accuracies(outcomes, p.threshold).auto).toBeCloseTo(p.accuracy);
    for (const p of curve) expect(accuracies(outcomes, p.threshold).share).toBeCloseTo(p.share);
  });

  it("skips shares that would split tied confidences", () => {
    const tied = [outcome(0.5, true, true), outcome(0.5, false, true), outcome(0.7, true, true)];
    expect(cascadeCurve(tied).map((p) => p.share)).toEqual([0, 2 / 3, 1]);
  });

  it("picks the best accuracy within maxShare, the smaller share on ties", () => {
    const curve = cascadeCurve(outcomes);
    expect(chooseOperatingPoint(curve, { maxShare: 0.3 })).toMatchObject({ share: 0.2 });
    expect(chooseOperatingPoint(curve, { maxShare: 0.7 })).toMatchObject({
      share: 0.4,
      choice: "best-within-max-share",
    });
  });

  it("honours a fixed share, and falls back to the CNN when it does not gain", () => {
    const curve = cascadeCurve(outcomes);
    expect(chooseOperatingPoint(curve, { share: 0.55 })).toMatchObject({
      share: 0.6,
      choice: "fixed-share",
    });
    const useless = outcomes.map((o) => ({ ...o, ensembleRight: false }));
    expect(chooseOperatingPoint(cascadeCurve(useless))).toEqual({
      share: 0,
      accuracy: 0.6,
      threshold: 0,
      choice: "cnn-alone",
    });
  });

  it("samples one point per step, shares strictly increasing", () => {
    const sampled = sampleCurve(cascadeCurve(outcomes), 0.25);
    expect(sampled.map((p) => p.share)).toEqual([0, 0.2, 0.4, 0.6, 1]);
  });

  it("reports each way of answering", () => {
    expect(accuracies(outcomes, 0.4)).toEqual({
      cnn: 0.6,
      clip: 0.8,
      auto: 1,
      force: 0.8,
      share: 0.4,
    });
  });
});
