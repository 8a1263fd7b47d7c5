/**
 * Per-pack calibration of routing and ensembling, fitted from labelled scores: temperatures,
 * a log-linear ensemble, a routing threshold never worse than the CNN alone, held-out reports,
 * the pack.json schema, the run-time rule and a chart. Pure functions; no models, no I/O.
 */
export { type CalibrateOptions, type CalibrationResult, calibrate } from "./calibrate.ts";
export {
  type Calibration,
  calibrationSchema,
  type EnsembleSpec,
  parseCalibration,
  type SharePoint,
} from "./calibration-schema.ts";
export { type CascadeChartInput, calibrationChartSvg, cascadeChartSvg } from "./cascade-chart.ts";
export {
  ACCURACY_TIE,
  accuracies,
  type CurvePoint,
  cascadeCurve,
  chooseOperatingPoint,
  type ImageOutcome,
  type OperatingOptions,
  type RoutingChoice,
  sampleCurve,
} from "./cascade-curve.ts";
export {
  type CnnConfidence,
  type CombinedScores,
  createEnsembleRule,
  type EnsembleRule,
  type RoutingOverrides,
} from "./create-ensemble-rule.ts";
export {
  type CrossValidationOptions,
  crossValidate,
  evaluateOnTestSplit,
  type HeldOutReport,
  kFolds,
} from "./cross-validation.ts";
export {
  type CalibratedImage,
  cnnWeightFor,
  ensembleScores,
  fitCnnWeight,
  fitConfidenceBands,
  fitLogLinear,
  WEIGHT_GRID,
} from "./ensemble-rules.ts";
export {
  type CalibrationFit,
  calibrateImages,
  type FitOptions,
  fitCalibration,
  MIN_RULE_IMAGES,
  outcomesOf,
  type RuleKind,
} from "./fit-calibration.ts";
export { checkShape, type LabelledScores, subset } from "./labelled-scores.ts";
export { averageProbabilities, LEGACY_THRESHOLDS, legacyCnnWeight } from "./legacy-ensemble.ts";
export { fitTemperature, meanNll, type TemperatureRange } from "./temperature.ts";
