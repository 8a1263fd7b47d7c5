import { describe, expect, it } from "vitest";
import { quantile } from "./quantile.ts";

describe("quantile", () => {
  it("is the nearest-rank sample, from unsorted input left as it was", () => {
    const samples = [5, 1, 4, 2, 3];
    expect(quantile(samples, 0.5)).toBe(3);
    expect(quantile(samples, 0.95)).toBe(5);
    expect(quantile(samples, 0.2)).toBe(1);
    expect(quantile(samples, 0.21)).toBe(2);
    expect(quantile(samples, 0)).toBe(1);
    expect(samples).toEqual([5, 1, 4, 2, 3]);
    expect(quantile(Float64Array.of(10, 30, 20), 1)).toBe(30);
  });

  it("is NaN for no samples", () => {
    expect(quantile([], 0.5)).toBeNaN();
  });
});
