import { describe, expect, it } from "vitest";
import { seededRandom } from "../testing/seeded-random.ts";
import { topK } from "./top-k.ts";

const labels = ["cat", "dog", "bird", "fish", "frog"];
const f32 = (values: number[]) => new Float32Array(values);

describe("topK", () => {
  it("returns the k best labels, best first, with their scores", () => {
    const scores = f32([0.1, 0.5, 0.05, 0.3, 0.05]);
    expect(topK(scores, labels, 3)).toEqual([
      { label: "dog", score: Math.fround(0.5) },
      { label: "fish", score: Math.fround(0.3) },
      { label: "cat", score: Math.fround(0.1) },
    ]);
  });

  it("keeps label order among equal scores", () => {
    const scores = f32([0.2, 0.2, 0.4, 0.2, 0]);
    expect(topK(scores, labels, 4).map((p) => p.label)).toEqual(["bird", "cat", "dog", "fish"]);
    expect(topK(f32([0, 0, 0, 0, 0]), labels, 5).map((p) => p.label)).toEqual(labels);
  });

  it("returns every label when k exceeds their number", () => {
    const out = topK(f32([0.1, 0.2, 0.3, 0.2, 0.2]), labels, 100);
    expect(out).toHaveLength(5);
    expect(out[0]).toEqual({ label: "bird", score: Math.fround(0.3) });
    expect(out.map((p) => p.label)).toEqual(["bird", "dog", "fish", "frog", "cat"]);
  });

  it("returns exactly one for k = 1 and none for k = 0", () => {
    expect(topK(f32([0.1, 0.9, 0, 0, 0]), labels, 1)).toEqual([
      { label: "dog", score: Math.fround(0.9) },
    ]);
    expect(topK(f32([0.1, 0.9, 0, 0, 0]), labels, 0)).toEqual([]);
  });

  it("orders negative scores (logits) correctly", () => {
    expect(topK(f32([-3, -1, -2, -10, -0.5]), labels, 3).map((p) => p.label)).toEqual([
      "frog",
      "dog",
      "bird",
    ]);
  });

  it("does not reorder the scores it was given", () => {
    const scores = f32([0.1, 0.5, 0.05, 0.3, 0.05]);
    topK(scores, labels, 5);
    expect(Array.from(scores)).toEqual([0.1, 0.5, 0.05, 0.3, 0.05].map(Math.fround));
  });

  it("picks the same labels in the same order from 1000 scores with ties, for any k", () => {
    const random = seededRandom(7);
    // Scores on a coarse grid, so ties are frequent.
    const scores = f32(Array.from({ length: 1000 }, () => Math.round(random.next() * 50) / 50));
    const many = Array.from({ length: 1000 }, (_, i) => `label ${i}`);
    const byFullSort = Array.from(scores.keys())
      .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
      .map((i) => many[i]);
    for (const k of [1, 2, 5, 31, 32, 33, 100, 1000]) {
      expect(topK(scores, many, k).map((p) => p.label)).toEqual(byFullSort.slice(0, k));
    }
  });
});
