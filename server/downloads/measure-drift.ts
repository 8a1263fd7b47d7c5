import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClipText } from "../inference/clip-text.ts";
import { type ClipVisionModel, createClipVision } from "../inference/clip-vision.ts";
import { cpuFeatures, cpuLine } from "../inference/cpu-features.ts";
import { cachedLabelEmbeddings } from "../inference/label-embeddings.ts";
import { nearestLabel, sampleTensors, top1For } from "../inference/model-variants.ts";
import { openOnnxModel } from "../inference/onnx-session.ts";
import { agreement } from "../inference/variant-trials.ts";
import type { ModelPack } from "../packs/load-pack.ts";
import { loadPreprocessorConfig } from "../preprocess/preprocessor-config.ts";
import { loadClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { type DriftMeasurement, decideDefault } from "./precision-drift.ts";

/**
 * Real photos for the drift check of a pack that ships no samples (the catalog's packs): the
 * embedded pack's 30 Fashion-MNIST test images. Noise images give CLIP near-ties over 1000
 * labels, where any rounding flips the top-1 answer; a photo of a shoe does not.
 */
export const REPOSITORY_PHOTOS = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../models/fashion-mnist/samples",
);

// The batcher's default batch: an image must embed the same in one as alone.
const BATCH = 8;

export interface MeasureDriftOptions {
  /** Where label embeddings go when the pack ships none: the service's CACHE_DIR, which reuses them. */
  cacheDir: string;
  /** Threads per session. Default every core. */
  threads?: number;
  /** Told before the slow step (embedding every label with the text tower). */
  log?: (message: string) => void;
  /** Photos for a pack without samples of its own. Default REPOSITORY_PHOTOS. */
  fallbackSamples?: string;
}

/**
 * Runs CLIP's int8 vision file beside its fp32 one on the pack's sample images (the
 * repository's photos when it has none), the way the service runs int8 by default (exact u8×u8
 * kernels), and each image alone beside in a batch of 8. Top-1 is the zero-shot answer over the
 * pack's labels: from its label embeddings, or, when it ships none, from ones its text tower
 * computes and caches where the service finds them at its first start. That text tower is the
 * precision the embeddings' cosines alone point to, so the slow step is the one the service's
 * first start would take anyway. Null when the pack has no int8 vision file.
 */
export async function measureDrift(
  pack: ModelPack,
  options: MeasureDriftOptions,
): Promise<DriftMeasurement | null> {
  const clip = pack.manifest.clip;
  const int8File = clip?.vision.precisions?.int8;
  if (!clip || !int8File) return null;
  const fp32File =
    clip.vision.precisions?.fp32 ?? (clip.vision.model !== int8File ? clip.vision.model : null);
  const threads = options.threads ?? availableParallelism();
  const spec = await loadPreprocessorConfig(pack.file(clip.preprocess));
  const samples = await sampleTensors(pack, spec, options.fallbackSamples ?? REPOSITORY_PHOTOS);

  const open = async (file: string) =>
    createClipVision({
      model: await openOnnxModel(
        pack.file(file),
        { inputs: [clip.vision.input], outputs: [clip.vision.output] },
        { intraOpThreads: threads, exactInt8: true },
      ),
      input: clip.vision.input,
      output: clip.vision.output,
      preprocess: spec,
    });
  const run = async (file: string) => {
    const vision = await open(file);
    try {
      const batched = await embedInBatches(vision, samples.tensors);
      return { batched, alone: await embedAlone(vision, samples.tensors) };
    } finally {
      await vision.model.release();
    }
  };
  const int8 = await run(int8File);
  const fp32 = fp32File ? await run(fp32File) : null;
  const measure = (top1: (row: Float32Array) => number, top1Over: string): DriftMeasurement => ({
    int8File,
    fp32File,
    images: samples.tensors.length,
    imageSource: samples.source,
    top1Over,
    int8VsFp32: fp32 ? agreement(fp32.batched, int8.batched, top1) : null,
    aloneVsBatchOf8: {
      int8: agreement(int8.batched, int8.alone, top1),
      fp32: fp32 ? agreement(fp32.batched, fp32.alone, top1) : null,
    },
    cpu: cpuLine(cpuFeatures()),
  });
  if (clip.text_embeddings) {
    const over = `the pack's ${pack.labels.length} label embeddings`;
    return measure(await top1For(pack, "clip_vision"), over);
  }
  // Every image "agrees" under a constant answer: what is left to decide on is the cosines.
  const byCosine = decideDefault(measure(() => 0, "")).defaultPrecision;
  const text = clip.text.precisions?.[byCosine] ?? clip.text.model;
  const labels = await labelEmbeddings(pack, text, options, threads);
  return measure(nearestLabel(labels), `${pack.labels.length} labels embedded by ${text}`);
}

async function embedInBatches(vision: ClipVisionModel, images: readonly Float32Array[]) {
  const rows: Float32Array[] = [];
  for (let start = 0; start < images.length; start += BATCH) {
    rows.push(...(await vision.embed(images.slice(start, start + BATCH))));
  }
  return rows;
}

async function embedAlone(vision: ClipVisionModel, images: readonly Float32Array[]) {
  const rows: Float32Array[] = [];
  for (const image of images) rows.push(...(await vision.embed([image])));
  return rows;
}

/** The labels embedded by a text tower file, computed once and cached as the service does. */
async function labelEmbeddings(
  pack: ModelPack,
  file: string,
  options: MeasureDriftOptions,
  threads: number,
) {
  const clip = pack.manifest.clip;
  if (!clip) throw new Error("the pack has no CLIP");
  const prompts = pack.labels.length * pack.templates.length;
  options.log?.(
    `embedding ${pack.labels.length} labels × ${pack.templates.length} templates (${prompts} prompts) with ${file}: the service's first start reads them from ${options.cacheDir}`,
  );
  const model = await openOnnxModel(
    pack.file(file),
    { inputs: [clip.text.input], outputs: [clip.text.output] },
    { intraOpThreads: threads },
  );
  try {
    const tokenizer = await loadClipTokenizer(
      { vocab: pack.file(clip.tokenizer.vocab), merges: pack.file(clip.tokenizer.merges) },
      clip.text.context_length,
    );
    const text = createClipText({
      model,
      tokenizer,
      input: clip.text.input,
      output: clip.text.output,
      needsAttentionMask: clip.text.needs_attention_mask,
    });
    const cached = await cachedLabelEmbeddings({
      text,
      labels: pack.labels,
      templates: pack.templates,
      cacheDir: options.cacheDir,
    });
    return cached.embeddings;
  } finally {
    await model.release();
  }
}
