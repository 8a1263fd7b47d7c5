import { logSoftmax } from "../math/log-space.ts";
import { argMax } from "../math/vector-math.ts";
import type { EnsembleSpec } from "./calibration-schema.ts";
import {
  accuracies,
  type CurvePoint,
  cascadeCurve,
  chooseOperatingPoint,
  type ImageOutcome,
  type OperatingOptions,
  type RoutingChoice,
} from "./cascade-curve.ts";
import {
  type CalibratedImage,
  cnnWeightFor,
  ensembleScores,
  fitConfidenceBands,
  fitLogLinear,
  WEIGHT_GRID,
} from "./ensemble-rules.ts";
import { checkShape, type LabelledScores } from "./labelled-scores.ts";
import { fitTemperature, type TemperatureRange } from "./temperature.ts";

/** The ensemble rules a fit can produce. */
export type RuleKind = EnsembleSpec["rule"];

/** How to fit; every field optional. */
export interface FitOptions extends OperatingOptions {
  /** Ensemble rule to fit. Default "log-linear". */
  rule?: RuleKind;
  /** CNN weights tried. Default `WEIGHT_GRID` (0..1 step 0.02). */
  weightGrid?: readonly number[];
  /** Temperature search range. Default [0.05, 20]. */
  temperatureRange?: TemperatureRange;
}

/** Everything fitted from one labelled set, with its in-sample accuracies. */
export interface CalibrationFit {
  temperatures: { cnn: number; clip: number };
  ensemble: EnsembleSpec;
  routing: { threshold: number; share: number; choice: RoutingChoice };
  /** Every share a threshold can produce on the fitting images. */
  curve: CurvePoint[];
  fitted: { cnn: number; clip: number; auto: number; force: number };
}

/** A weight fitted on fewer routed images than this is noise; the rule then sees more of them. */
export const MIN_RULE_IMAGES = 30;

/**
 * Fits temperatures (each model alone, by NLL), the ensemble rule (by accuracy on the images
 * the cascade would route) and the routing threshold (from the cascade curve), in that order.
 */
export function fitCalibration(data: LabelledScores, options: FitOptions = {}): CalibrationFit {
  const { rule = "log-linear", weightGrid = WEIGHT_GRID, temperatureRange } = options;
  checkShape(data);
  const temperatures = {
    cnn: fitTemperature(data.cnn, data.labels, temperatureRange),
    clip: fitTemperature(data.clip, data.labels, temperatureRange),
  };
  const images = calibrateImages(data, temperatures);
  const ensemble =
    rule === "log-linear"
      ? fitLogLinear(leastConfident(images, options.share ?? options.maxShare ?? 0.3), weightGrid)
      : fitConfidenceBands(images, 3, weightGrid);
  const outcomes = outcomesOf(images, ensemble);
  const curve = cascadeCurve(outcomes);
  const { threshold, share, choice } = chooseOperatingPoint(curve, options);
  const { share: _, ...fitted } = accuracies(outcomes, threshold);
  return { temperatures, ensemble, routing: { threshold, share, choice }, curve, fitted };
}

/** Both models' calibrated log-probabilities and the CNN's confidence, per image. */
export function calibrateImages(
  data: LabelledScores,
  temperatures: { cnn: number; clip: number },
): CalibratedImage[] {
  return data.cnn.map((row, i) => {
    const cnn = logSoftmax(row, temperatures.cnn);
    return {
      cnn,
      clip: logSoftmax(data.clip[i] as ArrayLike<number>, temperatures.clip),
      label: data.labels[i] as number,
      confidence: Math.exp(cnn[argMax(cnn)] as number),
    };
  });
}

/** Which answers are right for each image under an ensemble rule. */
export function outcomesOf(
  images: readonly CalibratedImage[],
  ensemble: EnsembleSpec,
): ImageOutcome[] {
  return images.map((image) => {
    const weight = cnnWeightFor(ensemble, image.confidence);
    return {
      confidence: image.confidence,
      cnnRight: argMax(image.cnn) === image.label,
      clipRight: argMax(image.clip) === image.label,
      ensembleRight: argMax(ensembleScores(image.cnn, image.clip, weight)) === image.label,
    };
  });
}

/** The `share` least confident images (at least `MIN_RULE_IMAGES`, or all there are). */
function leastConfident(images: readonly CalibratedImage[], share: number): CalibratedImage[] {
  const count = Math.max(Math.ceil(share * images.length), MIN_RULE_IMAGES);
  return [...images].sort((a, b) => a.confidence - b.confidence).slice(0, count);
}
