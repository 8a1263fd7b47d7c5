import type { LabelEmbeddings } from "../inference/label-embeddings.ts";
import type { ClipModels } from "../inference/load-models.ts";
import type { EmbedderImage, EmbeddingOutcome, ImageEmbedder } from "./image-embeddings.ts";
import type { Fallback } from "./types.ts";
import { TimeoutError, withTimeout } from "./with-timeout.ts";
import { zeroShotLogits } from "./zero-shot.ts";

/** CLIP's zero-shot logits for one image (logit_scale · cosine), or why the CNN answers alone. */
export type SecondOpinion =
  | { ok: true; labels: readonly string[]; logits: Float32Array; cacheHit: boolean; ms: number }
  | { ok: false; fallback: Fallback; ms: number };

export interface ClipStep {
  clip: ClipModels | null;
  embedImage: ImageEmbedder | null;
  /** The label set to score against: the pack's, or a caller's own (embedded on demand). */
  labelEmbeddings: (clip: ClipModels) => Promise<LabelEmbeddings>;
  timeoutMs: number;
}

/**
 * CLIP's answers for the routed images of a batch. The label set and every image's embedding
 * are fetched concurrently, each within the timeout. Never throws: a slow, failing or missing
 * CLIP is a fallback, never an error for the client.
 */
export async function askClip(
  step: ClipStep,
  images: readonly EmbedderImage[],
): Promise<SecondOpinion[]> {
  const { clip, embedImage, labelEmbeddings, timeoutMs } = step;
  if (!clip || !embedImage)
    return images.map(() => ({ ok: false, fallback: "UNAVAILABLE", ms: 0 }));
  const [labels, embeddings] = await Promise.all([
    withTimeout(labelEmbeddings(clip), timeoutMs).catch((error: unknown) => error as Error),
    Promise.all(images.map((image) => embedImage(image, timeoutMs))),
  ]);
  return embeddings.map((outcome: EmbeddingOutcome): SecondOpinion => {
    if (!outcome.ok) return outcome;
    if (labels instanceof Error) {
      return {
        ok: false,
        fallback: labels instanceof TimeoutError ? "TIMEOUT" : "ERROR",
        ms: outcome.ms,
      };
    }
    const logits = zeroShotLogits(outcome.embedding, labels, clip.logitScale);
    return { ok: true, labels: labels.labels, logits, cacheHit: outcome.cacheHit, ms: outcome.ms };
  });
}
