import { describe, expect, it } from "vitest";
import { logSoftmax } from "../math/log-space.ts";
import {
  type CalibratedImage,
  cnnWeightFor,
  ensembleScores,
  fitCnnWeight,
  fitConfidenceBands,
} from "./ensemble-rules.ts";

function image(cnn: number[], clip: number[], label: number): CalibratedImage {
  const lp = logSoftmax(cnn);
  return { cnn: lp, clip: logSoftmax(clip), label, confidence: Math.exp(Math.max(...lp)) };
}

describe("ensemble rules", () => {
  it("scores by the weighted sum of log-probabilities", () => {
    const a = Float64Array.of(Math.log(0.5), Math.log(0.5));
    const b = Float64Array.of(Math.log(0.8), Math.log(0.2));
    const s = ensembleScores(a, b, 0.25);
    expect(s[0]).toBeCloseTo(0.25 * Math.log(0.5) + 0.75 * Math.log(0.8), 12);
  });

  it("gives weight 1 (the CNN) when the second model is always wrong", () => {
    const images = [image([2, 1, 0], [0, 9, 0], 0), image([0, 2, 1], [0, 0, 9], 1)];
    expect(fitCnnWeight(images)).toBe(1);
  });

  it("leans on the second model when it is the one that is right", () => {
    const images = [image([1, 1.2, 0], [4, 0, 0], 0), image([0.3, 0, 0.2], [0, 0, 4], 2)];
    expect(fitCnnWeight(images)).toBeLessThan(0.5);
  });

  it("breaks accuracy ties by NLL: equally right, the sharper mix wins", () => {
    // Both models right: every weight is right; NLL is lowest when trusting the sharper one.
    const images = [image([1, 0], [6, 0], 0)];
    expect(fitCnnWeight(images)).toBe(0);
  });

  it("fits one weight per confidence band and looks bands up by confidence", () => {
    const low = [image([0.1, 0, 0], [5, 0, 0], 0), image([0, 0.1, 0], [0, 0, 5], 2)];
    const high = [image([6, 0, 0], [0, 5, 0], 0), image([0, 6, 0], [0, 0, 5], 1)];
    const spec = fitConfidenceBands([...low, ...high], 2);
    expect(spec.rule).toBe("confidence-bands");
    expect(cnnWeightFor(spec, 0.34)).toBeLessThan(0.5);
    expect(cnnWeightFor(spec, 0.999)).toBeGreaterThan(0.5);
    expect(cnnWeightFor({ rule: "log-linear", cnnWeight: 0.3 }, 0.9)).toBe(0.3);
  });
});
