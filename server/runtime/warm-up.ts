import sharp from "sharp";
import { sha256Hex } from "../hashing/sha256.ts";
import type { Models } from "../inference/load-models.ts";
import type { Classifier } from "../pipeline/classify.ts";
import { decodeImage } from "../pipeline/decode.ts";
import type { BatchedModel } from "../pipeline/model-steps.ts";
import type { ImageLimits } from "../preprocess/decode-image.ts";

export interface WarmUpOptions {
  classifier: Classifier;
  models: Models;
  limits: ImageLimits;
  /** Every batch size from 1 to the largest a batcher can form (its queue bounds it too) is run. */
  batching: { maxBatchSize: number; cnnQueueMax: number; clipQueueMax: number };
  /** Past this, larger batch sizes are left cold so readiness is not held up; default 60 s. */
  budgetMs?: number;
  log?: (message: string) => void;
}

export interface WarmUpReport {
  seconds: number;
  /** The batch sizes each batched model ran, in order, as its batcher reported them. */
  batchSizes: Record<BatchedModel, number[]>;
  /** Whether the CLIP text tower ran (it embeds callers' own labels at run time). */
  textTower: boolean;
}

/**
 * Runs every model before the service says it is ready, so no client pays for onnxruntime's
 * lazy initialisation: the CNN and the CLIP vision tower at every batch size the batchers can
 * form (onnxruntime plans memory per input shape, so each new size is slow once), through the
 * batchers themselves; the text tower once; then one image through the whole pipeline
 * (decode, CNN, CLIP, ensemble), so readiness means "has answered once". The same batches seed
 * each batcher's latency model, from which it sizes batches and admits images by deadline. Costs
 * n·(n+1) images per tower for a largest batch of n (72 at the default 8: every size twice). Throws when the
 * pipeline cannot answer, which keeps the service from reporting ready.
 */
export async function warmUp(options: WarmUpOptions): Promise<WarmUpReport> {
  const { classifier, models, limits, batching, budgetMs = 60_000 } = options;
  const { steps } = classifier;
  const started = performance.now();
  const bytes = await sharp({
    create: { width: 64, height: 48, channels: 3, background: { r: 128, g: 96, b: 64 } },
  })
    .png()
    .toBuffer();

  const batchSizes: Record<BatchedModel, number[]> = { cnn: [], clip_vision: [] };
  const unwatch = steps.watchBatches((model, stats) => {
    if (!batchSizes[model].includes(stats.size)) batchSizes[model].push(stats.size);
  });
  try {
    const sweep = async (
      batcher: { submit: (tensor: Float32Array) => Promise<Float32Array> },
      tensor: Float32Array,
      queueMax: number,
    ) => {
      const largest = Math.min(batching.maxBatchSize, queueMax);
      for (let size = 1; size <= largest; size++) {
        if (performance.now() - started > budgetMs) {
          options.log?.(`warm-up budget spent: batch sizes ${size}..${largest} left cold`);
          return;
        }
        // Submitted in one tick to an idle batcher, they leave as one batch of `size`. Twice:
        // the first call of a shape pays onnxruntime's setup, the second teaches the batcher's
        // latency model what the size really costs.
        for (let call = 0; call < 2; call++)
          await Promise.all(Array.from({ length: size }, () => batcher.submit(tensor)));
      }
    };
    const cnnInput = await decodeImage(bytes, models.cnn.preprocess, limits);
    await sweep(steps.cnn, cnnInput.tensor, batching.cnnQueueMax);
    if (steps.clipVision && models.clip) {
      const clipInput = await decodeImage(bytes, models.clip.vision.preprocess, limits);
      await sweep(steps.clipVision, clipInput.tensor, batching.clipQueueMax);
    }
  } finally {
    unwatch();
  }
  const textTower = models.clip !== null;
  await models.clip?.text.embed([`a photo of a ${models.pack.labels[0] ?? "thing"}`]);

  const sha256 = sha256Hex(bytes);
  const [outcome] = await classifier.classifyImages([{ bytes, sha256 }], {
    topK: 1,
    vlm: "FORCE",
    labels: null,
  });
  if (!outcome || outcome instanceof Error)
    throw new Error(`warm-up inference failed: ${outcome?.message}`);
  return { seconds: (performance.now() - started) / 1000, batchSizes, textTower };
}
