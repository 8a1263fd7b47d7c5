import { logSumExp } from "../math/log-space.ts";
import type { EnsembleSpec } from "./calibration-schema.ts";

/** One image as the ensemble sees it: both models' calibrated log-probabilities. */
export interface CalibratedImage {
  /** log softmax(CNN scores / T_cnn). */
  cnn: Float64Array;
  /** log softmax(second-model scores / T_clip). */
  clip: Float64Array;
  label: number;
  /** The CNN's calibrated top-1 probability, which routes the image. */
  confidence: number;
}

/** CNN weights tried when fitting: 0 to 1 in steps of 0.02. */
export const WEIGHT_GRID: readonly number[] = Array.from({ length: 51 }, (_, i) => i / 50);

/** The CNN's weight for an image under a rule, from its calibrated top-1 confidence. */
export function cnnWeightFor(spec: EnsembleSpec, confidence: number): number {
  if (spec.rule === "log-linear") return spec.cnnWeight;
  let weight = spec.bands[0]?.cnnWeight ?? 1;
  for (const band of spec.bands) if (confidence >= band.from) weight = band.cnnWeight;
  return weight;
}

/** w·log p_cnn + (1 − w)·log p_clip: a log-probability up to a constant (a product of experts). */
export function ensembleScores(
  cnn: Float64Array,
  clip: Float64Array,
  weight: number,
): Float64Array {
  const out = new Float64Array(cnn.length);
  for (let c = 0; c < cnn.length; c++) {
    out[c] = weight * (cnn[c] as number) + (1 - weight) * (clip[c] as number);
  }
  return out;
}

/**
 * The CNN weight with the most right answers on `images`, the lower ensemble NLL on ties (so
 * among equally accurate weights the better-calibrated one wins). No images: 1, the CNN alone.
 */
export function fitCnnWeight(
  images: readonly CalibratedImage[],
  grid: readonly number[] = WEIGHT_GRID,
): number {
  if (images.length === 0) return 1;
  // Counting right answers needs no exponentials; the NLL is priced only for the tied best.
  const right = grid.map((weight) => images.filter((image) => topIs(image, weight)).length);
  const most = Math.max(...right);
  let best = { weight: 1, nll: Number.POSITIVE_INFINITY };
  grid.forEach((weight, i) => {
    if (right[i] !== most) return;
    let nll = 0;
    for (const image of images) {
      const scores = ensembleScores(image.cnn, image.clip, weight);
      nll += logSumExp(scores) - (scores[image.label] as number);
    }
    if (nll < best.nll) best = { weight, nll };
  });
  return best.weight;
}

/** Whether the ensemble at `weight` ranks the true class first (the first of equal maxima). */
function topIs(image: CalibratedImage, weight: number): boolean {
  const { cnn, clip, label } = image;
  let best = Number.NEGATIVE_INFINITY;
  let top = 0;
  for (let c = 0; c < cnn.length; c++) {
    const score = weight * (cnn[c] as number) + (1 - weight) * (clip[c] as number);
    if (score > best) {
      best = score;
      top = c;
    }
  }
  return top === label;
}

/** One weight for every image: the rule fitted on the images the cascade would route. */
export function fitLogLinear(
  images: readonly CalibratedImage[],
  grid: readonly number[] = WEIGHT_GRID,
): EnsembleSpec {
  return { rule: "log-linear", cnnWeight: fitCnnWeight(images, grid) };
}

/**
 * A weight per band of CNN confidence, bands cut at quantiles of `images`' confidences, each
 * weight fitted on its band alone (accuracy adds up over bands, so the fits are independent).
 */
export function fitConfidenceBands(
  images: readonly CalibratedImage[],
  bandCount = 3,
  grid: readonly number[] = WEIGHT_GRID,
): EnsembleSpec {
  const sorted = images.map((image) => image.confidence).sort((a, b) => a - b);
  const starts = [0];
  for (let b = 1; b < bandCount; b++) {
    const edge = sorted[Math.floor((b * sorted.length) / bandCount)];
    // Tied confidences can make two quantiles equal: such a band would be empty.
    if (edge !== undefined && edge > (starts[starts.length - 1] as number)) starts.push(edge);
  }
  const bands = starts.map((from, b) => {
    const to = starts[b + 1] ?? Number.POSITIVE_INFINITY;
    const members = images.filter((image) => image.confidence >= from && image.confidence < to);
    return { from, cnnWeight: fitCnnWeight(members, grid) };
  });
  return { rule: "confidence-bands", bands };
}
