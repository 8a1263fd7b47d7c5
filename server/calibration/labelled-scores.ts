import type { Scores } from "../math/log-space.ts";

/**
 * What calibration is fitted from: for N labelled images, each model's scores over the same C
 * classes (the CNN's logits or log-probabilities; the second model's logits, for CLIP
 * logit_scale · cosine) and the index of the true class.
 */
export interface LabelledScores {
  cnn: readonly Scores[];
  clip: readonly Scores[];
  labels: ArrayLike<number>;
}

/** The images at `indices`, in that order (a fold, a split). */
export function subset(data: LabelledScores, indices: readonly number[]): LabelledScores {
  return {
    cnn: indices.map((i) => data.cnn[i] as Scores),
    clip: indices.map((i) => data.clip[i] as Scores),
    labels: indices.map((i) => data.labels[i] as number),
  };
}

/** Throws, naming the first image at fault, unless every row and label fits one class count. */
export function checkShape(data: LabelledScores): number {
  const count = data.labels.length;
  if (count === 0) throw new Error("calibration needs at least one labelled image");
  if (data.cnn.length !== count || data.clip.length !== count) {
    throw new Error(
      `${count} labels but ${data.cnn.length} CNN rows and ${data.clip.length} second-model rows`,
    );
  }
  const classes = data.cnn[0]?.length ?? 0;
  for (let i = 0; i < count; i++) {
    const label = data.labels[i] as number;
    if (data.cnn[i]?.length !== classes || data.clip[i]?.length !== classes) {
      throw new Error(`image ${i}: expected ${classes} scores from each model`);
    }
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(`image ${i}: label ${label} is not a class index below ${classes}`);
    }
  }
  return classes;
}
