import { type Calibration, parseCalibration } from "./calibration-schema.ts";
import { ACCURACY_TIE, sampleCurve } from "./cascade-curve.ts";
import {
  type CrossValidationOptions,
  crossValidate,
  evaluateOnTestSplit,
  type HeldOutReport,
} from "./cross-validation.ts";
import { type CalibrationFit, fitCalibration, type RuleKind } from "./fit-calibration.ts";
import type { LabelledScores } from "./labelled-scores.ts";

/** Options for a pack's calibration; fitting options as for `fitCalibration`. */
export interface CalibrateOptions extends Omit<CrossValidationOptions, "rule"> {
  /** The labelled set's name and the sha256 that identifies its exact contents. */
  data: { name: string; sha256: string };
  /** The set's own test split: reported as `heldOut` instead of the k-fold estimate. */
  test?: LabelledScores;
  /** Rules compared by out-of-fold accuracy. Default: log-linear, then confidence bands. */
  rules?: readonly RuleKind[];
  /** When the fit was made (ISO 8601). Default: now. */
  fittedAt?: string;
  /** Share-step of the stored curves. Default 0.02. */
  curveStep?: number;
}

/** A calibration ready for pack.json, and how it was reached. */
export interface CalibrationResult {
  calibration: Calibration;
  /** Each rule tried and its out-of-fold AUTO accuracy. */
  comparison: { rule: RuleKind; auto: number }[];
  fit: CalibrationFit;
  heldOut: HeldOutReport;
}

/**
 * Calibrates a pack from labelled scores: each candidate rule is cross-validated and a richer
 * rule replaces the simpler first one only if its out-of-fold AUTO accuracy is higher by more
 * than a tie; the winner is then fitted on every image and reported on held-out images.
 */
export function calibrate(data: LabelledScores, options: CalibrateOptions): CalibrationResult {
  const { rules = ["log-linear", "confidence-bands"], curveStep = 0.02, test, ...rest } = options;
  const comparison = rules.map((rule) => ({
    rule,
    report: crossValidate(data, { ...rest, rule }),
  }));
  const chosen = comparison.reduce((a, b) =>
    b.report.auto > a.report.auto + ACCURACY_TIE ? b : a,
  );
  const fit = fitCalibration(data, { ...rest, rule: chosen.rule });
  const heldOut = test
    ? evaluateOnTestSplit(data, test, { ...rest, rule: chosen.rule })
    : chosen.report;
  const { curve: heldOutCurve, ...heldOutAccuracies } = heldOut;
  const calibration = parseCalibration({
    version: 1,
    temperatures: fit.temperatures,
    ensemble: fit.ensemble,
    routing: fit.routing,
    fitted: fit.fitted,
    curve: sampleCurve(fit.curve, curveStep),
    data: { ...options.data, count: data.labels.length },
    heldOut: { ...heldOutAccuracies, curve: sampleCurve(heldOutCurve, curveStep) },
    fittedAt: options.fittedAt ?? new Date().toISOString(),
  });
  return {
    calibration,
    comparison: comparison.map(({ rule, report }) => ({ rule, auto: report.auto })),
    fit,
    heldOut,
  };
}
