import type { PredictionStore } from "../feedback/prediction-store.ts";
import type { Classification, ClassifyOptions } from "./types.ts";

/**
 * Keeps what feedback needs of an answer under its id (in process or in Redis), the same for a
 * computed answer and one served from the result cache, so feedback scores both alike.
 */
export function rememberAnswer(
  predictions: PredictionStore,
  answer: Classification,
  options: ClassifyOptions,
): Promise<void> {
  return predictions.remember(answer.id, {
    cnnLabel: answer.cnn.top.label,
    finalLabel: answer.top.label,
    vlmUsed: answer.vlmUsed,
    customLabels: answer.vlmUsed ? options.labels : null,
  });
}
