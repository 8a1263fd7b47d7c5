/**
 * The rule packs without a calibration keep: the original plan's fixed thresholds and a
 * probability average whose CNN weight is linear in the CNN's confidence.
 */
export const LEGACY_THRESHOLDS = {
  /** At or above this CNN top-1 probability the second model is not asked. */
  high: 0.85,
  /** Below this the average trusts the second model more than the CNN. */
  low: 0.65,
} as const;

/**
 * The CNN's share of the average, from its top-1 probability: 0.5 at `low`, rising linearly to
 * 1 at certainty and falling to 0 at zero confidence, so below `low` the second model dominates.
 */
export function legacyCnnWeight(confidence: number, low: number): number {
  if (low <= 0) return 0.5 + 0.5 * confidence;
  if (confidence < low) return (0.5 * confidence) / low;
  return low >= 1 ? 0.5 : 0.5 + (0.5 * (confidence - low)) / (1 - low);
}

/** weight·cnn + (1 − weight)·clip, for two probability vectors over the same labels. */
export function averageProbabilities(
  cnn: ArrayLike<number>,
  clip: ArrayLike<number>,
  weight: number,
): Float32Array {
  if (cnn.length !== clip.length) throw new Error("the ensemble needs scores over the same labels");
  const out = new Float32Array(cnn.length);
  for (let i = 0; i < cnn.length; i++) {
    out[i] = weight * (cnn[i] as number) + (1 - weight) * (clip[i] as number);
  }
  return out;
}
