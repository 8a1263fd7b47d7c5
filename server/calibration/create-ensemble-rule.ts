import { logSoftmax, type Scores, softmax } from "../math/log-space.ts";
import { argMax } from "../math/vector-math.ts";
import type { Calibration } from "./calibration-schema.ts";
import { cnnWeightFor, ensembleScores } from "./ensemble-rules.ts";
import { averageProbabilities, LEGACY_THRESHOLDS, legacyCnnWeight } from "./legacy-ensemble.ts";

/** Thresholds set by the operator (environment), which win over the pack's. */
export interface RoutingOverrides {
  /** CNN confidence at or above which the second model is not asked. */
  high?: number;
  /** Legacy rule only: the confidence at which the average weights both models equally. */
  low?: number;
}

/** The CNN's view of one image: calibrated probabilities and the top-1 that routes it. */
export interface CnnConfidence {
  probabilities: Float32Array;
  top: number;
  confidence: number;
}

/** The final answer's distribution and the CNN's weight in it. */
export interface CombinedScores {
  probabilities: Float32Array;
  cnnWeight: number;
}

/** How one pack routes and ensembles at run time, calibrated or legacy, behind one interface. */
export interface EnsembleRule {
  readonly kind: "calibrated" | "legacy";
  /** Images whose CNN confidence is below this are sent to the second model. */
  readonly threshold: number;
  /** The CNN's (calibrated) probabilities from its logits or log-probabilities. */
  cnn(cnnScores: Scores): CnnConfidence;
  /** Whether a CNN confidence sends the image to the second model. */
  routes(confidence: number): boolean;
  /** Both models' scores (logits or log-probabilities) combined into one probability vector. */
  combine(cnnScores: Scores, clipScores: Scores): CombinedScores;
}

/**
 * The pack's rule: its calibration if it has one (temperatures, log-linear ensemble, fitted
 * threshold), else the legacy fixed thresholds and confidence-weighted probability average.
 * `overrides.high` replaces either threshold; `overrides.low` only shapes the legacy weight.
 */
export function createEnsembleRule(
  calibration: Calibration | null,
  overrides: RoutingOverrides = {},
): EnsembleRule {
  return calibration ? calibratedRule(calibration, overrides) : legacyRule(overrides);
}

function calibratedRule(calibration: Calibration, overrides: RoutingOverrides): EnsembleRule {
  const { temperatures, ensemble } = calibration;
  const threshold = overrides.high ?? calibration.routing.threshold;
  const cnn = (cnnScores: Scores) => confidenceOf(softmax(cnnScores, temperatures.cnn));
  return {
    kind: "calibrated",
    threshold,
    cnn,
    routes: (confidence) => confidence < threshold,
    combine(cnnScores, clipScores) {
      sameLength(cnnScores, clipScores);
      const cnnWeight = cnnWeightFor(ensemble, cnn(cnnScores).confidence);
      const scores = ensembleScores(
        logSoftmax(cnnScores, temperatures.cnn),
        logSoftmax(clipScores, temperatures.clip),
        cnnWeight,
      );
      return { probabilities: Float32Array.from(softmax(scores)), cnnWeight };
    },
  };
}

function legacyRule({
  high = LEGACY_THRESHOLDS.high,
  low = LEGACY_THRESHOLDS.low,
}: RoutingOverrides): EnsembleRule {
  const cnn = (cnnScores: Scores) => confidenceOf(softmax(cnnScores));
  return {
    kind: "legacy",
    threshold: high,
    cnn,
    routes: (confidence) => confidence < high,
    combine(cnnScores, clipScores) {
      sameLength(cnnScores, clipScores);
      const { probabilities, confidence } = cnn(cnnScores);
      const cnnWeight = legacyCnnWeight(confidence, low);
      return {
        probabilities: averageProbabilities(probabilities, softmax(clipScores), cnnWeight),
        cnnWeight,
      };
    },
  };
}

function confidenceOf(probabilities: Float64Array): CnnConfidence {
  const top = argMax(probabilities);
  return {
    probabilities: Float32Array.from(probabilities),
    top,
    confidence: probabilities[top] as number,
  };
}

function sameLength(cnn: Scores, clip: Scores): void {
  if (cnn.length !== clip.length) throw new Error("the ensemble needs scores over the same labels");
}
