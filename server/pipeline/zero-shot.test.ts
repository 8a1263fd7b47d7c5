import { describe, expect, it } from "vitest";
import type { LabelEmbeddings } from "../inference/label-embeddings.ts";
import { l2Normalise } from "../math/vector-math.ts";
import { zeroShotScores } from "./zero-shot.ts";

// Three unit-length label embeddings in 4 dimensions, row-major.
const labels: LabelEmbeddings = {
  labels: ["cat", "dog", "bird"],
  dim: 4,
  matrix: new Float32Array([
    1,
    0,
    0,
    0, //
    0,
    1,
    0,
    0, //
    0,
    0,
    0.6,
    0.8,
  ]),
};

const sum = (values: Float32Array) => values.reduce((a, b) => a + b, 0);
const best = (values: Float32Array) => values.indexOf(Math.max(...values));

describe("zeroShotScores", () => {
  it("gives the highest score to the label the image points at", () => {
    expect(
      best(zeroShotScores(l2Normalise(new Float32Array([0.9, 0.2, 0.1, 0])), labels, 100)),
    ).toBe(0);
    expect(
      best(zeroShotScores(l2Normalise(new Float32Array([0.1, 0.8, 0.3, 0.1])), labels, 100)),
    ).toBe(1);
    expect(
      best(zeroShotScores(l2Normalise(new Float32Array([0.1, 0.2, 0.5, 0.7])), labels, 100)),
    ).toBe(2);
  });

  it("is softmax(logitScale · cosine)", () => {
    const image = l2Normalise(new Float32Array([1, 1, 0, 0])); // cosine 0.7071, 0.7071, 0
    const scores = zeroShotScores(image, labels, 10);
    const e = Math.exp(10 * Math.SQRT1_2);
    expect(scores[0]).toBeCloseTo(e / (2 * e + 1), 6);
    expect(scores[1]).toBeCloseTo(e / (2 * e + 1), 6);
    expect(scores[2]).toBeCloseTo(1 / (2 * e + 1), 6);
  });

  it("returns one probability per label, summing to 1", () => {
    for (const scale of [1, 10, 100]) {
      const scores = zeroShotScores(
        l2Normalise(new Float32Array([0.3, -0.2, 0.5, 0.4])),
        labels,
        scale,
      );
      expect(scores).toHaveLength(3);
      expect(sum(scores)).toBeCloseTo(1, 6);
      for (const p of scores) expect(p).toBeGreaterThanOrEqual(0);
    }
  });

  it("sharpens with a larger logit scale without changing the winner", () => {
    const image = l2Normalise(new Float32Array([0.6, 0.5, 0.2, 0.1]));
    const soft = zeroShotScores(image, labels, 1);
    const sharp = zeroShotScores(image, labels, 100);
    expect(best(soft)).toBe(0);
    expect(best(sharp)).toBe(0);
    expect(sharp[0]).toBeGreaterThan(soft[0] as number);
    expect(sharp[0]).toBeGreaterThan(0.99);
    expect(soft[0]).toBeLessThan(0.5);
  });

  it("gives equal scores to an image orthogonal to every label", () => {
    const scores = zeroShotScores(new Float32Array([0, 0, 0.8, -0.6]), labels, 100);
    // cosines 0, 0, 0.48 − 0.48 = 0
    for (const p of scores) expect(p).toBeCloseTo(1 / 3, 6);
  });

  it("rejects an image embedding of the wrong dimension", () => {
    expect(() => zeroShotScores(new Float32Array(3), labels, 100)).toThrow("expected 4");
  });
});
