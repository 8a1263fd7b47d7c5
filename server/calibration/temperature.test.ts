import { describe, expect, it } from "vitest";
import { temperatureDataset } from "./synthetic-data.ts";
import { fitTemperature, meanNll } from "./temperature.ts";

describe("temperature", () => {
  it.each([0.5, 1, 2.5])("recovers the temperature %s the labels were drawn with", (t0) => {
    const { rows, labels } = temperatureDataset(4000, 10, t0, 7);
    expect(Math.abs(fitTemperature(rows, labels) / t0 - 1)).toBeLessThan(0.1);
  });

  it("minimises the mean NLL", () => {
    const { rows, labels } = temperatureDataset(1000, 5, 1.5, 3);
    const t = fitTemperature(rows, labels);
    expect(meanNll(rows, labels, t)).toBeLessThanOrEqual(meanNll(rows, labels, t * 1.1));
    expect(meanNll(rows, labels, t)).toBeLessThanOrEqual(meanNll(rows, labels, t / 1.1));
  });

  it("stops at the lower bound for data the model separates perfectly", () => {
    const rows = [new Float32Array([5, 0]), new Float32Array([0, 5])];
    expect(fitTemperature(rows, [0, 1], { min: 0.05 })).toBeCloseTo(0.05, 3);
  });

  it("equals -log p of the true class at T = 1", () => {
    expect(meanNll([[0, 0]], [1], 1)).toBeCloseTo(Math.LN2, 12);
  });

  it("stays finite for log-probabilities with zeros (a CNN that outputs probabilities)", () => {
    const rows = [
      [0.7, 0.3, 0],
      [0.2, 0.8, 0],
      [0.6, 0.4, 0],
    ].map((p) => p.map(Math.log));
    const t = fitTemperature(rows, [0, 1, 1]);
    expect(Number.isFinite(t)).toBe(true);
    expect(t).toBeGreaterThan(0.05);
  });
});
