import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, dirname, join } from "node:path";
import { argMax, matVec } from "../math/vector-math.ts";
import type { ModelPack } from "../packs/load-pack.ts";
import { filePrecision } from "../packs/model-precision.ts";
import { inspectImage } from "../preprocess/decode-image.ts";
import { preprocessImage } from "../preprocess/preprocess-image.ts";
import { loadPreprocessorConfig } from "../preprocess/preprocessor-config.ts";
import { type CpuFeatures, cpuFeatures, cpuLine } from "./cpu-features.ts";
import { type LabelEmbeddings, readLabelEmbeddings } from "./label-embeddings.ts";
import { syntheticJpegs } from "./synthetic-images.ts";
import {
  hashFiles,
  readStoredChoice,
  type StoredChoice,
  type VariantRole,
  variantCacheFile,
  variantKey,
  writeStoredChoice,
} from "./variant-cache.ts";
import { candidateVariants, chooseVariant, type Variant } from "./variant-choice.ts";
import { runVariantTrials } from "./variant-trials.ts";

/** How a model runs, and whether that was measured on this machine or is the configuration. */
export interface ModelVariant extends Variant {
  source: "measured" | "configured";
}

export interface VariantContext {
  cacheDir: string;
  /** ORT_INTRA_OP_THREADS: the configured layout, tried beside all cores. */
  configuredThreads: number;
  /** Default: this machine's. */
  cpu?: CpuFeatures;
  /** Default: availableParallelism(). */
  cores?: number;
}

// Sample images are decoded with generous limits: they come with the pack, not from clients.
const SAMPLE_LIMITS = { maxPixels: 40_000_000, maxSide: 16_384, minSide: 1 };
// Enough images for a 0.995 agreement bar to mean something without a long start.
const MAX_SAMPLES = 64;
const SYNTHETIC_SAMPLES = 16;

function tower(pack: ModelPack, role: VariantRole) {
  const t = role === "cnn" ? pack.manifest.cnn : pack.manifest.clip?.vision;
  if (!t) return null;
  const preprocess = role === "cnn" ? pack.manifest.cnn.preprocess : pack.manifest.clip?.preprocess;
  return { ...t, precisions: t.precisions ?? {}, preprocess: preprocess as string };
}

async function keyFor(pack: ModelPack, role: VariantRole, context: VariantContext) {
  const t = tower(pack, role);
  if (!t) return null;
  const cpu = context.cpu ?? cpuFeatures();
  const fileHashes = await hashFiles([t.model, ...Object.values(t.precisions)], (f) =>
    pack.file(f),
  );
  const key = variantKey({
    role,
    fileHashes,
    cpu,
    cores: context.cores ?? availableParallelism(),
    configuredThreads: context.configuredThreads,
  });
  return { key, file: variantCacheFile(context.cacheDir, role, key), cpu };
}

/** The choice measured earlier on this machine for this model, or null (then: configuration). */
async function storedVariant(
  pack: ModelPack,
  role: VariantRole,
  context: VariantContext,
): Promise<StoredChoice | null> {
  const found = await keyFor(pack, role, context);
  return found ? readStoredChoice(found.file, found.key) : null;
}

/**
 * Times every variant of the model (each precision the pack carries, on the configured threads
 * and on all cores) on the pack's sample images, or synthetic ones when it has none, keeps the
 * fastest that matches the fp32 reference and writes it to the cache dir. Null when the pack
 * has no such model.
 */
export async function measureVariant(
  pack: ModelPack,
  role: VariantRole,
  context: VariantContext,
): Promise<{ stored: StoredChoice; file: string } | null> {
  const t = tower(pack, role);
  const found = await keyFor(pack, role, context);
  if (!t || !found) return null;
  const spec = await loadPreprocessorConfig(pack.file(t.preprocess));
  const { tensors: samples } = await sampleTensors(pack, spec);
  const top1 = await top1For(pack, role);
  const variants = candidateVariants({
    model: t.model,
    modelPrecision: await filePrecision(t, t.model, (f) => pack.file(f)),
    precisions: t.precisions,
    threadCounts: threadLayouts(context),
    cpuHasVnni: found.cpu.vnni,
  });
  const trials = await runVariantTrials({
    resolve: (f) => pack.file(f),
    input: t.input,
    output: t.output,
    variants,
    samples,
    height: spec.outputSize.height,
    width: spec.outputSize.width,
    top1,
  });
  const stored = await writeStoredChoice(
    found.file,
    found.key,
    role,
    cpuLine(found.cpu),
    chooseVariant(trials),
  );
  return { stored, file: found.file };
}

/** The configured threads, half the cores and all of them. */
function threadLayouts(context: VariantContext): number[] {
  const cores = context.cores ?? availableParallelism();
  return [context.configuredThreads, Math.max(1, Math.floor(cores / 2)), cores];
}

/**
 * The pack's sample images (up to 64) preprocessed; for a pack with none, the images of
 * `fallbackDir` when given (real photos answer more decisively than noise), else synthetic ones.
 */
export async function sampleTensors(
  pack: ModelPack,
  spec: Awaited<ReturnType<typeof loadPreprocessorConfig>>,
  fallbackDir?: string,
): Promise<{ tensors: Float32Array[]; source: string }> {
  const own = await imageFiles(join(pack.dir, "samples"));
  const fallback = own.length === 0 && fallbackDir ? await imageFiles(fallbackDir) : [];
  const files = own.length > 0 ? own : fallback;
  const images =
    files.length > 0
      ? await Promise.all(files.slice(0, MAX_SAMPLES).map((file) => readFile(file)))
      : await syntheticJpegs(SYNTHETIC_SAMPLES);
  const tensors = await Promise.all(
    images.map(async (bytes) =>
      preprocessImage(bytes, spec, SAMPLE_LIMITS, await inspectImage(bytes, SAMPLE_LIMITS)),
    ),
  );
  const source =
    own.length > 0
      ? "pack samples"
      : fallback.length > 0
        ? `photos of ${basename(dirname(fallbackDir as string))}/${basename(fallbackDir as string)}`
        : "synthetic images";
  return { tensors, source };
}

async function imageFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const names = (await readdir(dir)).filter((name) => /\.(png|jpe?g|webp)$/i.test(name)).sort();
  return names.map((name) => join(dir, name));
}

/** The CNN's answer is its argmax; CLIP's the nearest label embedding when the pack has them. */
export async function top1For(pack: ModelPack, role: VariantRole) {
  const file = pack.manifest.clip?.text_embeddings;
  if (role === "clip_vision" && file) {
    return nearestLabel(
      await readLabelEmbeddings(pack.file(file.file), pack.labels, file.shape[1]),
    );
  }
  return (row: Float32Array) => argMax(row);
}

/** CLIP's zero-shot answer for an image embedding: the index of the nearest label embedding. */
export function nearestLabel(labels: LabelEmbeddings): (row: Float32Array) => number {
  return (row) => argMax(matVec(labels.matrix, labels.dim, row));
}

/**
 * How a model runs: the choice measured on this machine when the cache dir has one for these
 * files, this CPU and thread count; otherwise the configuration (the asked precision when the
 * pack carries it, exact int8 kernels, the configured threads).
 */
export async function resolveVariant(
  pack: ModelPack,
  role: VariantRole,
  context: VariantContext & { precision?: Variant["precision"] | undefined },
): Promise<ModelVariant | null> {
  const t = tower(pack, role);
  if (!t) return null;
  const stored = await storedVariant(pack, role, context);
  // Precision is read again from the pack: a choice stored before precisions were read from it
  // labelled an int8 default file fp32.
  const precisionOf = (file: string) => filePrecision(t, file, (f) => pack.file(f));
  if (stored) {
    const chosen = stored.chosen;
    return { ...chosen, precision: await precisionOf(chosen.file), source: "measured" };
  }
  const asked = context.precision ? t.precisions[context.precision] : undefined;
  const file = asked ?? t.model;
  return {
    precision: await precisionOf(file),
    file,
    threads: context.configuredThreads,
    exactInt8: true,
    source: "configured",
  };
}
