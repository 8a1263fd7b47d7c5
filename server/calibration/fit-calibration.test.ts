import { describe, expect, it } from "vitest";
import { fitCalibration } from "./fit-calibration.ts";
import { syntheticDataset } from "./synthetic-data.ts";

describe("fitCalibration", () => {
  it("routes nothing when the second model is useless, so the cascade equals the CNN", () => {
    const data = syntheticDataset({ count: 400, classes: 10, seed: 1, clip: "always-wrong" });
    const fit = fitCalibration(data);
    expect(fit.routing).toEqual({ threshold: 0, share: 0, choice: "cnn-alone" });
    expect(fit.fitted.auto).toBe(fit.fitted.cnn);
  });

  it("routes the least confident images when the second model is independent and good", () => {
    const data = syntheticDataset({ count: 600, classes: 10, seed: 2 });
    const fit = fitCalibration(data);
    expect(fit.routing.choice).toBe("best-within-max-share");
    expect(fit.routing.share).toBeGreaterThan(0);
    expect(fit.routing.share).toBeLessThanOrEqual(0.3);
    expect(fit.fitted.auto).toBeGreaterThan(fit.fitted.cnn + 0.03);
    if (fit.ensemble.rule !== "log-linear") throw new Error("expected the default rule");
    expect(fit.ensemble.cnnWeight).toBeGreaterThan(0);
    expect(fit.ensemble.cnnWeight).toBeLessThan(1);
  });

  it("never chooses a point less accurate than the CNN", () => {
    for (const seed of [3, 4, 5]) {
      const fit = fitCalibration(
        syntheticDataset({ count: 200, classes: 5, seed, clipSignal: 0.5 }),
      );
      expect(fit.fitted.auto).toBeGreaterThanOrEqual(fit.fitted.cnn);
    }
  });

  it("accepts a fixed share and the confidence-band rule", () => {
    const data = syntheticDataset({ count: 400, classes: 10, seed: 6 });
    const fixed = fitCalibration(data, { share: 0.5 });
    expect(fixed.routing.choice).toBe("fixed-share");
    expect(fixed.routing.share).toBeCloseTo(0.5, 2);
    const banded = fitCalibration(data, { rule: "confidence-bands" });
    expect(banded.ensemble.rule).toBe("confidence-bands");
  });

  it("fits temperatures that undo a known scaling of the logits", () => {
    const data = syntheticDataset({ count: 400, classes: 10, seed: 7 });
    const scaled = { ...data, cnn: data.cnn.map((row) => Float32Array.from(row, (z) => 3 * z)) };
    const ratio = fitCalibration(scaled).temperatures.cnn / fitCalibration(data).temperatures.cnn;
    expect(ratio).toBeCloseTo(3, 2);
  });

  it("refuses mismatched shapes and out-of-range labels", () => {
    const data = syntheticDataset({ count: 10, classes: 3, seed: 8 });
    expect(() =>
      fitCalibration({ ...data, labels: [...Array.from(data.labels).slice(1), 3] }),
    ).toThrow(/image 9: label 3/);
    expect(() => fitCalibration({ ...data, clip: data.clip.slice(1) })).toThrow(/10 labels/);
  });
});
