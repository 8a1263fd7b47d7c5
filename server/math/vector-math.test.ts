import { describe, expect, it } from "vitest";
import { argMax, l2Normalise, matVec, softmax } from "./vector-math.ts";

const sum = (values: Float32Array) => values.reduce((a, b) => a + b, 0);

describe("softmax", () => {
  it("matches exp(x) / Σ exp(x) for small logits", () => {
    const out = softmax([1, 2, 3]);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(out[0]).toBeCloseTo(Math.exp(1) / z, 6);
    expect(out[2]).toBeCloseTo(Math.exp(3) / z, 6);
    expect(sum(out)).toBeCloseTo(1, 6);
  });

  it("stays finite for large logits (1000 and 1001 overflow a naive exp)", () => {
    expect(Math.exp(1000)).toBe(Infinity); // what the shift avoids
    const out = softmax([1000, 1001]);
    expect(out[0]).toBeCloseTo(1 / (1 + Math.E), 6);
    expect(out[1]).toBeCloseTo(Math.E / (1 + Math.E), 6);
    expect(softmax([-1000, -1001])[0]).toBeCloseTo(Math.E / (1 + Math.E), 6);
  });

  it("is unchanged by adding a constant to every logit", () => {
    const a = softmax([0.5, -1, 2]);
    const b = softmax([500.5, 499, 502]);
    for (let i = 0; i < 3; i++) expect(b[i]).toBeCloseTo(a[i] as number, 5);
  });

  it("multiplies the logits by scale", () => {
    const scaled = softmax([0.1, 0.2, 0.3], 100);
    const direct = softmax([10, 20, 30]);
    for (let i = 0; i < 3; i++) expect(scaled[i]).toBeCloseTo(direct[i] as number, 6);
    expect(scaled[2]).toBeGreaterThan(0.9999);
  });

  it("gives equal logits equal probabilities, and one logit probability 1", () => {
    for (const p of softmax([7, 7, 7, 7])) expect(p).toBeCloseTo(0.25, 7);
    expect(Array.from(softmax([42]))).toEqual([1]);
  });

  it("accepts a Float32Array and returns a new Float32Array", () => {
    const logits = new Float32Array([1, 2]);
    const out = softmax(logits);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out).not.toBe(logits);
    expect(Array.from(logits)).toEqual([1, 2]);
  });
});

describe("l2Normalise", () => {
  it("returns a unit-length copy pointing the same way", () => {
    const v = new Float32Array([3, 4]);
    const out = l2Normalise(v);
    expect(out[0]).toBeCloseTo(0.6, 7);
    expect(out[1]).toBeCloseTo(0.8, 7);
    expect(Array.from(v)).toEqual([3, 4]);
  });

  it("keeps a zero vector zero instead of NaN", () => {
    expect(Array.from(l2Normalise(new Float32Array(4)))).toEqual([0, 0, 0, 0]);
  });

  it("is unit length for a long vector with negative values", () => {
    const v = new Float32Array(1280).map((_, i) => Math.sin(i) * (i % 7) - 2);
    const out = l2Normalise(v);
    expect(Math.sqrt(out.reduce((a, x) => a + x * x, 0))).toBeCloseTo(1, 5);
  });
});

describe("matVec", () => {
  it("computes one dot product per row", () => {
    const rows = new Float32Array([1, 2, 3, 4, 5, 6]); // 2 × 3
    expect(Array.from(matVec(rows, 3, new Float32Array([1, 0, -1])))).toEqual([-2, -2]);
    expect(Array.from(matVec(rows, 3, new Float32Array([1, 1, 1])))).toEqual([6, 15]);
  });

  it("rejects a vector of the wrong length", () => {
    expect(() => matVec(new Float32Array(6), 3, new Float32Array(2))).toThrow(
      "vector has 2 values, expected 3",
    );
  });
});

describe("argMax", () => {
  it("finds the largest value", () => {
    expect(argMax([0.1, 0.7, 0.2])).toBe(1);
    expect(argMax(new Float32Array([-5, -2, -9]))).toBe(1);
  });

  it("returns the first index on ties", () => {
    expect(argMax([0.3, 0.5, 0.5, 0.1])).toBe(1);
    expect(argMax([2, 2, 2])).toBe(0);
  });
});
