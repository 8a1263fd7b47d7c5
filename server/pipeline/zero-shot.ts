import type { LabelEmbeddings } from "../inference/label-embeddings.ts";
import { matVec, softmax } from "../math/vector-math.ts";

/** CLIP's zero-shot logits: logitScale · cosine(image, each label). */
export function zeroShotLogits(
  imageEmbedding: Float32Array,
  labels: LabelEmbeddings,
  logitScale: number,
): Float32Array {
  // Both sides are unit length, so the dot product is the cosine.
  return matVec(labels.matrix, labels.dim, imageEmbedding).map((cosine) => cosine * logitScale);
}

/** CLIP's zero-shot probabilities: softmax(logitScale · cosine(image, each label)). */
export function zeroShotScores(
  imageEmbedding: Float32Array,
  labels: LabelEmbeddings,
  logitScale: number,
): Float32Array {
  return softmax(zeroShotLogits(imageEmbedding, labels, logitScale));
}
