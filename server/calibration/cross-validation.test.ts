import { describe, expect, it } from "vitest";
import { crossValidate, evaluateOnTestSplit, kFolds } from "./cross-validation.ts";
import { subset } from "./labelled-scores.ts";
import { syntheticDataset } from "./synthetic-data.ts";

describe("kFolds", () => {
  it("partitions the indices into near-equal folds", () => {
    const folds = kFolds(23, 5, 42);
    expect(folds.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(folds.map((f) => f.length).sort()).toEqual([4, 4, 5, 5, 5]);
  });

  it("is deterministic for a seed and changes with it", () => {
    expect(kFolds(50, 4, 9)).toEqual(kFolds(50, 4, 9));
    expect(kFolds(50, 4, 9)).not.toEqual(kFolds(50, 4, 10));
  });

  it("refuses impossible fold counts", () => {
    expect(() => kFolds(3, 5, 1)).toThrow(/3 images into 5 folds/);
    expect(() => kFolds(10, 1, 1)).toThrow();
  });
});

describe("crossValidate", () => {
  it("keeps AUTO equal to the CNN when the second model is useless", () => {
    const data = syntheticDataset({ count: 300, classes: 10, seed: 11, clip: "always-wrong" });
    const held = crossValidate(data, { folds: 5, seed: 3 });
    expect(held).toMatchObject({ method: "5-fold", count: 300, share: 0, clip: 0 });
    expect(held.auto).toBe(held.cnn);
    expect(held.force).toBeLessThanOrEqual(held.cnn);
  });

  it("shows the cascade beating the CNN out of fold when the second model is independent", () => {
    const data = syntheticDataset({ count: 800, classes: 10, seed: 12 });
    const held = crossValidate(data);
    expect(held.auto).toBeGreaterThan(held.cnn + 0.02);
    expect(held.share).toBeGreaterThan(0);
    expect(held.share).toBeLessThan(0.4);
    expect(held.curve[0]).toMatchObject({ share: 0, accuracy: held.cnn });
    expect(held.curve.at(-1)).toMatchObject({ share: 1, accuracy: held.force });
  });

  it("reports on a dataset's own test split", () => {
    const data = syntheticDataset({ count: 600, classes: 10, seed: 13 });
    const ids = Array.from({ length: 600 }, (_, i) => i);
    const held = evaluateOnTestSplit(subset(data, ids.slice(0, 400)), subset(data, ids.slice(400)));
    expect(held).toMatchObject({ method: "test-split", count: 200 });
    expect(held.auto).toBeGreaterThan(held.cnn);
  });
});
