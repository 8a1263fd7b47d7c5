import type { LabelEmbeddings } from "../inference/label-embeddings.ts";
import type { ClipModels } from "../inference/load-models.ts";
import type { Fallback } from "./types.ts";
import { TimeoutError, withTimeout } from "./with-timeout.ts";
import { zeroShotScores } from "./zero-shot.ts";

export type SecondOpinion =
  | { ok: true; labels: readonly string[]; scores: Float32Array[]; ms: number }
  | { ok: false; fallback: Fallback; ms: number; error?: unknown };

/**
 * CLIP's zero-shot scores for a batch of images, or the reason the CNN must answer alone.
 * Never throws: a slow or failing CLIP is a fallback, not an error for the client.
 */
export async function askClip(options: {
  clip: ClipModels | null;
  images: readonly Float32Array[];
  labelEmbeddings: (clip: ClipModels) => Promise<LabelEmbeddings>;
  timeoutMs: number;
}): Promise<SecondOpinion> {
  const { clip, images, labelEmbeddings, timeoutMs } = options;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  if (!clip) return { ok: false, fallback: "UNAVAILABLE", ms: 0 };
  try {
    const [labels, embeddings] = await withTimeout(
      Promise.all([labelEmbeddings(clip), clip.vision.embed(images)]),
      timeoutMs,
    );
    const scores = embeddings.map((e) => zeroShotScores(e, labels, clip.logitScale));
    return { ok: true, labels: labels.labels, scores, ms: elapsed() };
  } catch (error) {
    const fallback: Fallback = error instanceof TimeoutError ? "TIMEOUT" : "ERROR";
    return { ok: false, fallback, ms: elapsed(), error };
  }
}
