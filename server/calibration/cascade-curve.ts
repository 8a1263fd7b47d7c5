import type { SharePoint } from "./calibration-schema.ts";

/** One labelled image under a fitted calibration. */
export interface ImageOutcome {
  /** The CNN's calibrated top-1 probability. */
  confidence: number;
  cnnRight: boolean;
  clipRight: boolean;
  ensembleRight: boolean;
}

/** The cascade at one threshold: images with confidence below it go to the ensemble. */
export interface CurvePoint extends SharePoint {
  threshold: number;
}

/** How an operating point was chosen (the schema's `routing.choice`). */
export type RoutingChoice = "best-within-max-share" | "fixed-share" | "cnn-alone";

/** Accuracy differences this small (0.1 pp) count as ties, won by the smaller share. */
export const ACCURACY_TIE = 0.001;

/**
 * Cascade accuracy for every share of images a threshold can send: the k least confident
 * images to the ensemble, the rest answered by the CNN. Only shares a threshold can produce
 * appear (tied confidences go together); thresholds sit midway between neighbouring confidences.
 */
export function cascadeCurve(outcomes: readonly ImageOutcome[]): CurvePoint[] {
  const sorted = [...outcomes].sort((a, b) => a.confidence - b.confidence);
  const n = sorted.length;
  let right = sorted.filter((o) => o.cnnRight).length;
  const points: CurvePoint[] = [{ share: 0, accuracy: right / n, threshold: 0 }];
  sorted.forEach((outcome, i) => {
    right += Number(outcome.ensembleRight) - Number(outcome.cnnRight);
    const next = sorted[i + 1]?.confidence ?? 1;
    if (next <= outcome.confidence) return;
    const threshold = i + 1 === n ? 1 : (outcome.confidence + next) / 2;
    points.push({ share: (i + 1) / n, accuracy: right / n, threshold });
  });
  return points;
}

/** Options for choosing where the cascade runs. */
export interface OperatingOptions {
  /** Largest share of images the second model may see. Default 0.3. */
  maxShare?: number;
  /** A share asked for explicitly (the nearest the data allows); overrides `maxShare`. */
  share?: number;
}

/**
 * The operating point: the best accuracy with share ≤ maxShare, the smaller share within
 * `ACCURACY_TIE`; or the point nearest a requested share. Never worse than the CNN: unless the
 * point is strictly more accurate than the CNN alone, share 0 (threshold 0) and `cnn-alone`.
 */
export function chooseOperatingPoint(
  curve: readonly CurvePoint[],
  { maxShare = 0.3, share }: OperatingOptions = {},
): CurvePoint & { choice: RoutingChoice } {
  const cnnAlone = curve[0] as CurvePoint;
  let point: CurvePoint;
  if (share !== undefined) {
    point = curve.reduce((a, b) => (Math.abs(b.share - share) < Math.abs(a.share - share) ? b : a));
  } else {
    const allowed = curve.filter((p) => p.share <= maxShare + 1e-12);
    const best = Math.max(...allowed.map((p) => p.accuracy));
    point = allowed.find((p) => p.accuracy >= best - ACCURACY_TIE) as CurvePoint;
  }
  if (point.accuracy <= cnnAlone.accuracy) return { ...cnnAlone, choice: "cnn-alone" };
  return { ...point, choice: share === undefined ? "best-within-max-share" : "fixed-share" };
}

/** The curve thinned to at most one point per `step` of share (the last at or below each step). */
export function sampleCurve(curve: readonly CurvePoint[], step = 0.02): SharePoint[] {
  const kept = new Set<CurvePoint>();
  for (let s = 0; s <= Math.round(1 / step); s++) {
    const upTo = s * step + 1e-9;
    const point = curve.findLast((p) => p.share <= upTo);
    if (point) kept.add(point);
  }
  return [...kept].map(({ share, accuracy }) => ({ share, accuracy }));
}

/** Accuracy of each way of answering the images, the cascade routing below `threshold`. */
export function accuracies(
  outcomes: readonly ImageOutcome[],
  threshold: number,
): { cnn: number; clip: number; auto: number; force: number; share: number } {
  const rate = (test: (o: ImageOutcome) => boolean) =>
    outcomes.filter(test).length / outcomes.length;
  const routed = (o: ImageOutcome) => o.confidence < threshold;
  return {
    cnn: rate((o) => o.cnnRight),
    clip: rate((o) => o.clipRight),
    auto: rate((o) => (routed(o) ? o.ensembleRight : o.cnnRight)),
    force: rate((o) => o.ensembleRight),
    share: rate(routed),
  };
}
