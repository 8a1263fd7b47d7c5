import { type CurvePoint, cascadeCurve, type ImageOutcome } from "./cascade-curve.ts";
import {
  type CalibrationFit,
  calibrateImages,
  type FitOptions,
  fitCalibration,
  outcomesOf,
} from "./fit-calibration.ts";
import { type LabelledScores, subset } from "./labelled-scores.ts";
import { seededRandom, shuffled } from "./seeded-random.ts";

/** Accuracies on images the fit never saw (the schema's `heldOut`, with the full curve). */
export interface HeldOutReport {
  /** "5-fold" or "test-split". */
  method: string;
  count: number;
  cnn: number;
  clip: number;
  /** The cascade at each fit's own operating point. */
  auto: number;
  /** The ensemble on every image. */
  force: number;
  /** Share of held-out images the cascade sent to the second model. */
  share: number;
  /** Cascade accuracy against share, thresholds swept over the pooled held-out confidences. */
  curve: CurvePoint[];
}

/** Options for k-fold cross-validation. */
export interface CrossValidationOptions extends FitOptions {
  /** Number of folds. Default 5. */
  folds?: number;
  /** Seed of the shuffle that deals images to folds. Default 1. */
  seed?: number;
}

/**
 * Image indices dealt into `folds` folds after a seeded shuffle: every index in exactly one
 * fold, sizes within one of each other, the same folds for the same seed.
 */
export function kFolds(count: number, folds: number, seed: number): number[][] {
  if (!Number.isInteger(folds) || folds < 2 || folds > count) {
    throw new Error(`cannot split ${count} images into ${folds} folds`);
  }
  const order = shuffled(
    Array.from({ length: count }, (_, i) => i),
    seededRandom(seed),
  );
  const out = Array.from({ length: folds }, (): number[] => []);
  order.forEach((index, i) => {
    out[i % folds]?.push(index);
  });
  return out.map((fold) => fold.sort((a, b) => a - b));
}

/**
 * k-fold cross-validation: each fold is answered by a calibration fitted on the other k − 1,
 * at that calibration's own threshold; the out-of-fold answers are pooled.
 */
export function crossValidate(
  data: LabelledScores,
  { folds = 5, seed = 1, ...fitOptions }: CrossValidationOptions = {},
): HeldOutReport {
  const parts = kFolds(data.labels.length, folds, seed);
  const answered = parts.flatMap((fold) => {
    const inFold = new Set(fold);
    const train = Array.from({ length: data.labels.length }, (_, i) => i).filter(
      (i) => !inFold.has(i),
    );
    return answer(fitCalibration(subset(data, train), fitOptions), subset(data, fold));
  });
  return report(`${folds}-fold`, answered);
}

/** Fits on `train` and reports on `test`, for datasets that come with their own test split. */
export function evaluateOnTestSplit(
  train: LabelledScores,
  test: LabelledScores,
  fitOptions: FitOptions = {},
): HeldOutReport {
  return report("test-split", answer(fitCalibration(train, fitOptions), test));
}

interface Answered extends ImageOutcome {
  routed: boolean;
}

function answer(fit: CalibrationFit, test: LabelledScores): Answered[] {
  return outcomesOf(calibrateImages(test, fit.temperatures), fit.ensemble).map((o) => ({
    ...o,
    routed: o.confidence < fit.routing.threshold,
  }));
}

function report(method: string, answered: readonly Answered[]): HeldOutReport {
  const rate = (test: (a: Answered) => boolean) => answered.filter(test).length / answered.length;
  return {
    method,
    count: answered.length,
    cnn: rate((a) => a.cnnRight),
    clip: rate((a) => a.clipRight),
    auto: rate((a) => (a.routed ? a.ensembleRight : a.cnnRight)),
    force: rate((a) => a.ensembleRight),
    share: rate((a) => a.routed),
    curve: cascadeCurve(answered),
  };
}
