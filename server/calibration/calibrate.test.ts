import { describe, expect, it } from "vitest";
import { calibrate } from "./calibrate.ts";
import { parseCalibration } from "./calibration-schema.ts";
import { subset } from "./labelled-scores.ts";
import { syntheticDataset } from "./synthetic-data.ts";

const data = { name: "synthetic", sha256: "0".repeat(64) };
const fittedAt = "2025-06-01T00:00:00.000Z";

describe("calibrate", () => {
  it("produces a valid calibration that records its data and held-out accuracies", () => {
    const set = syntheticDataset({ count: 500, classes: 10, seed: 21 });
    const { calibration, comparison } = calibrate(set, { data, fittedAt });
    expect(parseCalibration(JSON.parse(JSON.stringify(calibration)))).toEqual(calibration);
    expect(calibration.data).toEqual({ ...data, count: 500 });
    expect(calibration.heldOut?.method).toBe("5-fold");
    expect(calibration.heldOut?.auto).toBeGreaterThan(calibration.heldOut?.cnn ?? 1);
    expect(comparison.map((c) => c.rule)).toEqual(["log-linear", "confidence-bands"]);
    expect(calibration.curve.length).toBeLessThanOrEqual(51);
  });

  it("keeps the simpler rule unless the richer one wins out of fold", () => {
    const set = syntheticDataset({ count: 300, classes: 10, seed: 22 });
    const { calibration, comparison } = calibrate(set, { data, fittedAt });
    const [simple, rich] = comparison;
    const richWins = (rich?.auto ?? 0) > (simple?.auto ?? 0) + 0.001;
    expect(calibration.ensemble.rule).toBe(richWins ? "confidence-bands" : "log-linear");
  });

  it("is deterministic", () => {
    const set = syntheticDataset({ count: 200, classes: 5, seed: 23 });
    expect(calibrate(set, { data, fittedAt })).toEqual(calibrate(set, { data, fittedAt }));
  });

  it("reports a test split when given one, and chooses CNN-alone for a useless second model", () => {
    const set = syntheticDataset({ count: 400, classes: 10, seed: 24, clip: "always-wrong" });
    const ids = Array.from({ length: 400 }, (_, i) => i);
    const { calibration } = calibrate(subset(set, ids.slice(0, 300)), {
      data,
      fittedAt,
      test: subset(set, ids.slice(300)),
    });
    expect(calibration.routing).toEqual({ threshold: 0, share: 0, choice: "cnn-alone" });
    expect(calibration.heldOut).toMatchObject({ method: "test-split", count: 100, share: 0 });
    expect(calibration.heldOut?.auto).toBe(calibration.heldOut?.cnn);
  });
});
