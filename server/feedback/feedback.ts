import { UserError } from "../errors/user-error.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { AccuracyWindow, WindowState } from "./accuracy-window.ts";
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
  window: AccuracyWindow;
  metrics: Metrics;
}) {
  const { store, packLabels, window, metrics } = options;
  return async function submitFeedback(id: string, label: string): Promise<FeedbackResult> {
    const prediction = await store.get(id);
    if (!prediction) {
      throw new UserError(
        "UNKNOWN_PREDICTION",
        `no prediction "${id}" (unknown, or older than the feedback window)`,
      );
    }
    const labels = prediction.customLabels ?? packLabels;
    if (!labels.includes(label))
      throw new UserError("UNKNOWN_LABEL", `"${label}" is not one of the answer's labels`);
    // Checked before claiming, so the common case needs no write; the claim decides races.
    const claim =
      prediction.feedbackLabel === null ? await store.claimFeedback(id, label) : "duplicate";
    if (claim === "duplicate") {
      throw new UserError("DUPLICATE_FEEDBACK", `prediction "${id}" already has feedback`);
    }
    if (claim === "unknown") {
      throw new UserError("UNKNOWN_PREDICTION", `no prediction "${id}" (it expired just now)`);
    }
    const cnnCorrect = prediction.cnnLabel === label;
    const finalCorrect = prediction.finalLabel === label;
    let outcome: FeedbackOutcome = "custom_labels";
    let state: WindowState;
    // The CNN cannot answer a caller's own labels, so such feedback says nothing about CLIP's gain.
    if (!prediction.customLabels) {
      state = await window.add({ cnnRight: cnnCorrect, finalRight: finalCorrect });
      metrics.clipAccuracyDelta.set(state.delta);
      outcome = cnnCorrect
        ? finalCorrect
          ? "both_right"
          : "cnn_right_only"
        : finalCorrect
          ? "final_right_only"
          : "both_wrong";
    } else {
      state = await window.read();
    }
    metrics.feedback.inc({ outcome });
    return {
      id,
      label,
      outcome,
      cnnCorrect,
      finalCorrect,
      vlmUsed: prediction.vlmUsed,
      accuracyDelta: state.delta,
      windowSize: state.count,
    };
  };
}

export type SubmitFeedback = ReturnType<typeof createFeedback>;
