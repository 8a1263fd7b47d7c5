/**
 * A score vector over a pack's classes: logits, or log-probabilities (the log of a probability
 * vector is a valid logit vector, so packs whose CNN outputs probabilities pass `log p`).
 */
export type Scores = ArrayLike<number>;

/**
 * Lowest log-probability kept. A class a model rules out entirely (log 0) stays finite, so a
 * weight of 0 times its log-probability is 0 rather than NaN; exp(-1e4) is 0 in any float.
 */
export const LOG_PROB_FLOOR = -1e4;

/** log softmax(scores / temperature), stable: the maximum is subtracted before exponentiating. */
export function logSoftmax(scores: Scores, temperature = 1): Float64Array {
  const max = maxOf(scores);
  let sum = 0;
  for (let i = 0; i < scores.length; i++)
    sum += Math.exp(((scores[i] as number) - max) / temperature);
  const logSum = Math.log(sum);
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    out[i] = Math.max(LOG_PROB_FLOOR, ((scores[i] as number) - max) / temperature - logSum);
  }
  return out;
}

/** softmax(scores / temperature): a probability vector. */
export function softmax(scores: Scores, temperature = 1): Float64Array {
  return logSoftmax(scores, temperature).map(Math.exp);
}

/** log Σ exp(x), stable. */
export function logSumExp(values: Scores): number {
  const max = maxOf(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp((values[i] as number) - max);
  return max + Math.log(sum);
}

function maxOf(values: Scores): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i] as number);
  // All -Infinity (or empty) has no distribution: every class ruled out is a caller's bug.
  if (!Number.isFinite(max)) throw new Error("scores need at least one finite value");
  return max;
}
