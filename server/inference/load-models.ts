import type { ModelPack } from "../packs/load-pack.ts";
import { loadPreprocessorConfig } from "../preprocess/preprocessor-config.ts";
import { createCountProgress } from "../telemetry/progress.ts";
import { loadClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { type ClipTextModel, createClipText } from "./clip-text.ts";
import { type ClipVisionModel, createClipVision } from "./clip-vision.ts";
import { type CnnModel, createCnn } from "./cnn.ts";
import {
  cachedLabelEmbeddings,
  type LabelEmbeddings,
  readLabelEmbeddings,
} from "./label-embeddings.ts";
import { type ModelVariant, resolveVariant } from "./model-variants.ts";
import { openOnnxModel, type SessionOptions } from "./onnx-session.ts";

/** CLIP's two towers and the pack's label embeddings. */
export interface ClipModels {
  readonly vision: ClipVisionModel;
  readonly text: ClipTextModel;
  readonly labelEmbeddings: LabelEmbeddings;
  /** Multiplies cosine similarities before the softmax (CLIP's learned temperature). */
  readonly logitScale: number;
  /** Where the label embeddings came from: the pack's file, the disk cache, or computed now. */
  readonly labelEmbeddingsSource: "pack" | "cache" | "computed";
}

export interface Models {
  readonly pack: ModelPack;
  readonly cnn: CnnModel;
  /** null when the pack has no CLIP, or it failed to load (the service still answers with the CNN). */
  readonly clip: ClipModels | null;
  readonly clipUnavailableReason: string | null;
  /** The file, threads and kernels each model runs with, and whether this machine measured it. */
  readonly variants: { cnn: ModelVariant; clipVision: ModelVariant | null };
}

export interface LoadOptions extends SessionOptions {
  cacheDir: string;
  /** Which file of a CLIP tower to run when the pack has several; the default file otherwise. */
  precision?: "fp32" | "int8" | "fp16";
  log?: (message: string) => void;
}

/**
 * Opens every model of a pack. A broken CNN stops the start (there is nothing to serve);
 * a broken CLIP is reported and the service runs without a second opinion.
 */
export async function loadModels(pack: ModelPack, options: LoadOptions): Promise<Models> {
  const c = pack.manifest.cnn;
  const context = { cacheDir: options.cacheDir, configuredThreads: options.intraOpThreads };
  const cnnVariant = (await resolveVariant(pack, "cnn", context)) as ModelVariant;
  const cnn = createCnn({
    model: await openOnnxModel(
      pack.file(cnnVariant.file),
      { inputs: [c.input], outputs: [c.output] },
      variantSession(cnnVariant, options),
    ),
    input: c.input,
    output: c.output,
    outputKind: c.output_kind,
    preprocess: await loadPreprocessorConfig(pack.file(c.preprocess)),
  });
  if (!pack.manifest.clip) {
    return {
      pack,
      cnn,
      clip: null,
      clipUnavailableReason: "the model pack has no CLIP model",
      variants: { cnn: cnnVariant, clipVision: null },
    };
  }
  const check = pack.manifest.precision_check;
  if (check?.default_precision === "fp32" && options.precision === "int8") {
    // The download left int8 out of `precisions`; say why the asked precision is not run.
    options.log?.(`CLIP runs fp32, not int8: ${check.reason}`);
  }
  const visionVariant = (await resolveVariant(pack, "clip_vision", {
    ...context,
    precision: options.precision,
  })) as ModelVariant;
  const variants = { cnn: cnnVariant, clipVision: visionVariant };
  try {
    const clip = await loadClip(pack, options, visionVariant);
    if (clip.labelEmbeddings.labels.length !== pack.labels.length)
      throw new Error("label count mismatch");
    return { pack, cnn, clip, clipUnavailableReason: null, variants };
  } catch (error) {
    const reason = `CLIP failed to load: ${(error as Error).message}`;
    options.log?.(reason);
    return { pack, cnn, clip: null, clipUnavailableReason: reason, variants };
  }
}

/** The session settings for a variant: its threads and kernels, the rest as configured. */
function variantSession(variant: ModelVariant, options: SessionOptions): SessionOptions {
  return { ...options, intraOpThreads: variant.threads, exactInt8: variant.exactInt8 };
}

async function loadClip(
  pack: ModelPack,
  options: LoadOptions,
  visionVariant: ModelVariant,
): Promise<ClipModels> {
  const m = pack.manifest.clip;
  if (!m) throw new Error("the model pack has no CLIP model");
  const tokenizer = await loadClipTokenizer(
    { vocab: pack.file(m.tokenizer.vocab), merges: pack.file(m.tokenizer.merges) },
    m.text.context_length,
  );
  const textInputs = m.text.needs_attention_mask
    ? [m.text.input, "attention_mask"]
    : [m.text.input];
  const textFile = pack.file(pickPrecision(m.text, options.precision));
  const text = createClipText({
    model: await openOnnxModel(textFile, { inputs: textInputs, outputs: [m.text.output] }, options),
    tokenizer,
    input: m.text.input,
    output: m.text.output,
    needsAttentionMask: m.text.needs_attention_mask,
  });
  const vision = createClipVision({
    model: await openOnnxModel(
      pack.file(visionVariant.file),
      { inputs: [m.vision.input], outputs: [m.vision.output] },
      variantSession(visionVariant, options),
    ),
    input: m.vision.input,
    output: m.vision.output,
    preprocess: await loadPreprocessorConfig(pack.file(m.preprocess)),
  });

  if (m.text_embeddings) {
    const [rows, dim] = m.text_embeddings.shape;
    if (rows !== pack.labels.length) {
      throw new Error(`text_embeddings has ${rows} rows for ${pack.labels.length} labels`);
    }
    const labelEmbeddings = await readLabelEmbeddings(
      pack.file(m.text_embeddings.file),
      pack.labels,
      dim,
    );
    return {
      vision,
      text,
      labelEmbeddings,
      logitScale: m.logit_scale,
      labelEmbeddingsSource: "pack",
    };
  }
  const cached = await cachedLabelEmbeddings({
    text,
    labels: pack.labels,
    templates: pack.templates,
    cacheDir: options.cacheDir,
    onProgress: promptProgress(pack.labels.length * pack.templates.length, options.log),
  });
  options.log?.(
    `label embeddings ${cached.fromCache ? "read from" : "computed and written to"} ${cached.cacheFile}`,
  );
  return {
    vision,
    text,
    labelEmbeddings: cached.embeddings,
    logitScale: m.logit_scale,
    labelEmbeddingsSource: cached.fromCache ? "cache" : "computed",
  };
}

/** The file for the asked precision when the pack has one, else the tower's default file. */
function pickPrecision(
  tower: {
    model: string;
    precisions?: Partial<Record<"fp32" | "int8" | "fp16", string>> | undefined;
  },
  precision: LoadOptions["precision"],
): string {
  return (precision && tower.precisions?.[precision]) || tower.model;
}

// Past this many prompts the text tower runs for a while on a first start (a 1000-class pack with
// its templates takes minutes on a small machine): say how far it is.
const MANY_PROMPTS = 1000;

/**
 * Progress of embedding the pack's labels × templates, as plain log lines every few seconds and
 * a closing one; nothing for a small pack or without a log.
 */
export function promptProgress(prompts: number, log: ((line: string) => void) | undefined) {
  if (!log || prompts < MANY_PROMPTS) return undefined;
  log(`embedding ${prompts} label prompts with the text tower (once; then cached)`);
  const progress = createCountProgress(
    { write: (text) => log(text.trimEnd()) },
    "label embeddings",
    prompts,
    { unit: "prompts" },
  );
  return (done: number) => (done < prompts ? progress.update(done) : progress.finish(done));
}
