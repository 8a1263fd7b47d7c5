import { basename } from "node:path";
import { type CalibrateOptions, type CalibrationResult, calibrate } from "../calibration/index.ts";
import { scoreLabelledImages } from "../evaluation/score-labelled-images.ts";
import type { LabelledImageScores } from "../evaluation/threshold-sweep.ts";
import type { Classifier } from "../pipeline/classify.ts";
import { dataSetSha256, type IdentifiedImage } from "./data-set-identity.ts";
import { readImages, readLabelRows } from "./labelled-images.ts";

export interface CalibrateFolderOptions {
  /** The service's pipeline; only its scoring step is used. */
  classifier: Pick<Classifier, "scoreImages">;
  packLabels: readonly string[];
  imagesDir: string;
  /** Default `labels.tsv` in the images folder. */
  labelsFile: string;
  batchSize: number;
  /** Folds, shares and the like; the data set is filled in from the folder. */
  fit: Omit<CalibrateOptions, "data">;
  /** Receives one line per image left out (broken, missing, unlabelled). */
  warn: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}

/** What a folder gave: the calibration (null when too few images were usable) and the counts. */
export interface FolderCalibration {
  result: CalibrationResult | null;
  /** Images scored and used for the fit. */
  used: number;
  /** Rows and files left out, each reported once through `warn`. */
  skipped: number;
  /** Why there is no result, when there is none. */
  failure: string | null;
}

/**
 * Calibrates a pack from a labelled folder: every listed image through the service's own
 * pipeline for its full scores, then `calibrate()` with cross-validation. Bad images are
 * reported one line each and skipped; only an empty (or too small) remainder is a failure.
 */
export async function calibrateFolder(options: CalibrateFolderOptions): Promise<FolderCalibration> {
  const { classifier, packLabels, imagesDir, labelsFile, batchSize, fit, warn } = options;
  let skipped = 0;
  const report = (line: string) => {
    skipped++;
    warn(line);
  };
  const { rows, problems } = await readLabelRows(labelsFile, imagesDir, packLabels);
  for (const line of problems) report(line);
  const identified = new Map<string, IdentifiedImage>();
  async function* batches() {
    for await (const batch of readImages(imagesDir, rows, batchSize, report)) {
      for (const { file, sha256, label } of batch) identified.set(file, { file, sha256, label });
      yield batch.map(({ file, bytes, label }) => ({ name: file, bytes, label }));
    }
  }
  const scored = await scoreLabelledImages(classifier, batches(), {
    onSkip: (name, reason) => {
      identified.delete(name);
      report(`${name}: ${reason}; skipped`);
    },
    onProgress: (done) => options.onProgress?.(done, rows.length),
  });
  const used = scored.scores.length;
  const folds = fit.test ? 1 : (fit.folds ?? 5);
  if (used === 0 || used < folds) {
    const failure = `${used} usable image${used === 1 ? "" : "s"}; calibration needs at least ${Math.max(1, folds)}`;
    return { result: null, used, skipped, failure };
  }
  const data = {
    name: basename(imagesDir),
    sha256: dataSetSha256([...identified.values()]),
  };
  const result = calibrate(toLabelledScores(scored.scores), { ...fit, data });
  return { result, used, skipped, failure: null };
}

/** The scores in the calibration module's shape. */
export function toLabelledScores(scores: readonly LabelledImageScores[]) {
  return {
    cnn: scores.map((s) => s.cnn),
    clip: scores.map((s) => s.clip),
    labels: scores.map((s) => s.label),
  };
}
