/**
 * The CNN's share of the ensemble, from its top-1 probability: 0.5 at `low`, rising linearly to
 * 1 at certainty and falling to 0 at zero confidence, so below `low` CLIP dominates.
 */
export function cnnWeight(confidence: number, low: number): number {
  if (low <= 0) return 0.5 + 0.5 * confidence;
  if (confidence < low) return (0.5 * confidence) / low;
  return low >= 1 ? 0.5 : 0.5 + (0.5 * (confidence - low)) / (1 - low);
}

/** Weighted average of two probability vectors over the same labels. */
export function ensemble(cnn: Float32Array, clip: Float32Array, weight: number): Float32Array {
  if (cnn.length !== clip.length) throw new Error("ensemble needs scores over the same labels");
  const out = new Float32Array(cnn.length);
  for (let i = 0; i < cnn.length; i++)
    out[i] = weight * (cnn[i] as number) + (1 - weight) * (clip[i] as number);
  return out;
}
