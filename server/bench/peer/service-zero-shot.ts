import { embedLabels, type LabelEmbeddings } from "../../inference/label-embeddings.ts";
import { argMax } from "../../math/vector-math.ts";
import { decodeImage } from "../../pipeline/decode.ts";
import { zeroShotScores } from "../../pipeline/zero-shot.ts";
import type { Runtime } from "../../runtime/runtime.ts";
import { closedLoop, type LoadResult } from "../closed-loop.ts";

export interface ServiceRun {
  labels: number;
  concurrency: number;
  load: LoadResult;
  /** Top-1 label and its score per image, in image order. */
  top1: string[];
  top1Scores: number[];
}

/**
 * The service's CLIP path on whole images, as a request runs it: decode and preprocess (the
 * service's decode step), the vision tower through the process-wide batcher, cosine against
 * label embeddings computed once before timing, softmax. No CNN and no embedding cache, so it
 * does the same work as the peer's pipeline minus the text tower.
 */
export async function createServiceZeroShot(runtime: Runtime, template: string) {
  const clip = runtime.models.clip;
  const vision = runtime.classifier.steps.clipVision;
  if (!clip || !vision)
    throw new Error(`CLIP did not load: ${runtime.models.clipUnavailableReason}`);
  const { limits } = runtime.config;
  const classify = async (bytes: Uint8Array, labels: LabelEmbeddings) => {
    const { tensor } = await decodeImage(bytes, clip.vision.preprocess, limits);
    return zeroShotScores(await vision.submit(tensor), labels, clip.logitScale);
  };
  return {
    /** Precomputes the label set's embeddings, one prompt per label (the peer's template). */
    labels: (names: readonly string[]) => embedLabels(clip.text, names, [template]),
    /** `images.length` requests, `concurrency` in flight, each one image. */
    async run(
      images: readonly Uint8Array[],
      labels: LabelEmbeddings,
      concurrency: number,
    ): Promise<ServiceRun> {
      // Warm-up; nothing is cached on this path, so the image may come again.
      await classify(images[0] as Uint8Array, labels);
      const scores: Float32Array[] = [];
      const load = await closedLoop(images.length, concurrency, async (i) => {
        scores[i] = await classify(images[i] as Uint8Array, labels);
      });
      const best = scores.map((s) => argMax(s));
      return {
        labels: labels.labels.length,
        concurrency,
        load,
        top1: best.map((b) => labels.labels[b] as string),
        top1Scores: best.map((b, i) => (scores[i] as Float32Array)[b] as number),
      };
    },
  };
}
