import { UserError } from "../errors.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import { createAccuracyWindow } from "./accuracy-window.ts";
import type { PredictionStore } from "./prediction-store.ts";

export type FeedbackOutcome =
  | "both_right"
  | "cnn_right_only"
  | "final_right_only"
  | "both_wrong"
  | "custom_labels";

export interface FeedbackResult {
  id: string;
  label: string;
  outcome: FeedbackOutcome;
  cnnCorrect: boolean;
  finalCorrect: boolean;
  vlmUsed: boolean;
  /** The accuracy delta after this feedback, over `windowSize` feedbacks. */
  accuracyDelta: number;
  windowSize: number;
}

/**
 * Scores user feedback against the stored answer: it moves `vlm_accuracy_delta`, a metric
 * operators trust, so unknown ids, labels outside the answer's label set and second feedback
 * for the same answer are refused with typed errors.
 */
export function createFeedback(options: {
  store: PredictionStore;
  packLabels: readonly string[];
  window: number;
  metrics: Metrics;
}) {
  const { store, packLabels, metrics } = options;
  const window = createAccuracyWindow(options.window);
  return function submitFeedback(id: string, label: string): FeedbackResult {
    const prediction = store.get(id);
    if (!prediction) {
      throw new UserError(
        "UNKNOWN_PREDICTION",
        `no prediction "${id}" (unknown, or older than the feedback window)`,
      );
    }
    const labels = prediction.customLabels ?? packLabels;
    if (!labels.includes(label))
      throw new UserError("UNKNOWN_LABEL", `"${label}" is not one of the answer's labels`);
    if (prediction.feedbackLabel !== null) {
      throw new UserError("DUPLICATE_FEEDBACK", `prediction "${id}" already has feedback`);
    }
    prediction.feedbackLabel = label;
    const cnnCorrect = prediction.cnnLabel === label;
    const finalCorrect = prediction.finalLabel === label;
    let outcome: FeedbackOutcome = "custom_labels";
    // The CNN cannot answer a caller's own labels, so such feedback says nothing about CLIP's gain.
    if (!prediction.customLabels) {
      window.add({ cnnRight: cnnCorrect, finalRight: finalCorrect });
      metrics.vlmAccuracyDelta.set(window.delta);
      outcome = cnnCorrect
        ? finalCorrect
          ? "both_right"
          : "cnn_right_only"
        : finalCorrect
          ? "final_right_only"
          : "both_wrong";
    }
    metrics.feedback.inc({ outcome });
    return {
      id,
      label,
      outcome,
      cnnCorrect,
      finalCorrect,
      vlmUsed: prediction.vlmUsed,
      accuracyDelta: window.delta,
      windowSize: window.count,
    };
  };
}

export type SubmitFeedback = ReturnType<typeof createFeedback>;
