import type { LabelScore } from "./types.ts";

// Past this many, sorting every index costs less than keeping the best few in order.
const SELECTION_MAX = 32;

/** The k best labels, best first; ties keep label order so answers are deterministic. */
export function topK(scores: Float32Array, labels: readonly string[], k: number): LabelScore[] {
  const count = Math.min(k, labels.length);
  const order = count <= SELECTION_MAX ? bestIndices(scores, count) : sortedIndices(scores, count);
  return order.map((i) => ({
    label: labels[i] as string,
    score: scores[i] as number,
  }));
}

function sortedIndices(scores: Float32Array, count: number): number[] {
  return Array.from(scores.keys())
    .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
    .slice(0, count);
}

/**
 * The `count` best indices, best first, in one pass: a 1000-class pack asks for 5, and sorting
 * all 1000 for them cost more than the rest of the answer. A later index enters only when
 * strictly better, so ties keep label order as the sort does.
 */
function bestIndices(scores: Float32Array, count: number): number[] {
  const best: number[] = [];
  if (count <= 0) return best;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i] as number;
    if (best.length === count) {
      if (!(score > (scores[best[count - 1] as number] as number))) continue;
      best.pop();
    }
    let at = best.length;
    while (at > 0 && score > (scores[best[at - 1] as number] as number)) at--;
    best.splice(at, 0, i);
  }
  return best;
}
