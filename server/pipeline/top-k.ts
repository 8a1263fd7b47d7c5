import type { LabelScore } from "./types.ts";

/** The k best labels, best first; ties keep label order so answers are deterministic. */
export function topK(scores: Float32Array, labels: readonly string[], k: number): LabelScore[] {
  const order = Array.from(scores.keys()).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
  );
  return order.slice(0, Math.min(k, labels.length)).map((i) => ({
    label: labels[i] as string,
    score: scores[i] as number,
  }));
}
