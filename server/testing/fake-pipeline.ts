import { Registry } from "prom-client";
import { createEnsembleRule } from "../calibration/index.ts";
import type { Config } from "../config/config.ts";
import { createPredictionStore } from "../feedback/prediction-store.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import type { Models } from "../inference/load-models.ts";
import type { ModelPack } from "../packs/load-pack.ts";
import type { AnswerSettings } from "../pipeline/answer-fingerprint.ts";
import { type Classifier, createClassifier } from "../pipeline/classify.ts";
import type { EmbeddingOutcome, ImageEmbedder } from "../pipeline/image-embeddings.ts";
import type { ModelRunner } from "../pipeline/model-runner.ts";
import type { Classification, ClassifyOptions, ImageInput } from "../pipeline/types.ts";
import type { PreprocessSpec } from "../preprocess/preprocessor-config.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { solidPng } from "./image-fixtures.ts";

const LABELS = ["cat", "dog", "fox"];
const DIM = 4;
/** A 4×4 input, whatever the image's size: sharp's real decode, at the smallest cost. */
const SPEC: PreprocessSpec = {
  resize: { height: 4, width: 4 },
  crop: null,
  kernel: "cubic",
  rescale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  outputSize: { width: 4, height: 4 },
};

const SETTINGS = {
  limits: { maxPixels: 1_000_000, maxSide: 4096, minSide: 1 },
  decode: { concurrency: 4, queueMax: 64 },
  batching: { maxBatchSize: 8, maxWaitMs: 0, cnnQueueMax: 64, clipQueueMax: 64 },
  breaker: { failures: 5, resetMs: 1000 },
  clipTimeoutMs: 5000,
} as const;

const VARIANT = { precision: "fp32", threads: 1, exactInt8: false, source: "configured" } as const;

/** One unit vector per label: an image embedding equal to a row scores that label highest. */
const labelRow = (i: number) => Float32Array.from({ length: DIM }, (_, j) => (i === j ? 1 : 0));

export interface FakePipelineOptions {
  /** The CNN's probabilities for every image; default fairly sure "cat" (AUTO: no CLIP). */
  cnnScores?: number[];
  /** Replaces the CNN runner, e.g. to hold it on a gate; default answers `cnnScores` at once. */
  runCnn?: (tensor: Float32Array) => Promise<Float32Array>;
  /** Replaces CLIP's embedder, e.g. to make it fall back; default embeds as "dog". */
  embed?: (tensor: Float32Array) => Promise<EmbeddingOutcome>;
  /**
   * CLIP's vision tower as a batch runner, with CLIP's real step in front of it (embedding
   * cache, batcher, breaker); `embed` is then not used. Default: the step is replaced whole.
   */
  runClip?: ModelRunner;
  /** The embedding cache's size when `runClip` is given; default 0 (off). */
  embeddingCacheBytes?: number;
  /** CNN top labels that always get a second opinion; default none. */
  priorityClasses?: string[];
  /** A pack whose CLIP did not load: every second opinion falls back as UNAVAILABLE. */
  withoutClip?: boolean;
  /** Names the models' files: change it to stand for another pack version. Default "v1". */
  modelVersion?: string;
  /** The CNN's preprocessing, e.g. a real pack's; default a 4×4 input. */
  cnnSpec?: PreprocessSpec;
  /** CLIP's input differs from the CNN's (another normalisation); default the same as the CNN's. */
  clipSpec?: PreprocessSpec;
  /**
   * The service's settings the pipeline reads (image limits, decode slots, batching, CLIP's
   * timeout and breaker), e.g. a test config's; default small, fast ones.
   */
  settings?: Pick<Config, "limits" | "decode" | "batching" | "breaker" | "clipTimeoutMs">;
}

/** What the service reports about a fake model file: a name in the pack folder, no session. */
const modelFile = (name: string, version: string) => ({
  sha256: `${name}-${version}`,
  path: `fake/${name}.onnx`,
  inputNames: ["pixel_values"],
  outputNames: [name === "text" ? "text_embeds" : "logits"],
  loadSeconds: 0,
});

/**
 * The real pipeline (createClassifier) on fake models: real sharp decodes of tiny images,
 * counted calls, and runners a test can replace or hold. No model file is opened.
 */
export function createFakePipeline(options: FakePipelineOptions = {}) {
  // clip: the images CLIP's step was asked for.
  const calls = { decode: 0, cnn: 0, clip: 0 };
  const { runClip } = options;
  // The CNN answers log-probabilities, as the pipeline expects.
  const cnnScores = Float32Array.from(options.cnnScores ?? [0.9, 0.06, 0.04], Math.log);
  const version = options.modelVersion ?? "v1";
  const pack = {
    name: "fake",
    dir: "fake",
    labels: LABELS,
    templates: ["{}"],
    manifest: { name: "fake", version },
  } as unknown as ModelPack;
  const models = {
    pack,
    cnn: { model: modelFile("cnn", version), preprocess: options.cnnSpec ?? SPEC },
    clip: {
      vision: {
        model: modelFile("vision", version),
        preprocess: options.clipSpec ?? options.cnnSpec ?? SPEC,
      },
      text: {
        model: modelFile("text", version),
        // A caller's label i embeds as the pack's label i: custom sets score like the pack's.
        embed: async (texts: readonly string[]) => texts.map((_, i) => labelRow(i % DIM)),
      },
      labelEmbeddings: {
        labels: LABELS,
        dim: DIM,
        matrix: Float32Array.from(LABELS.flatMap((_, i) => [...labelRow(i)])),
      },
      logitScale: 10,
      labelEmbeddingsSource: "pack",
    },
    clipUnavailableReason: null,
    variants: {
      cnn: { ...VARIANT, file: "cnn.onnx" },
      clipVision: { ...VARIANT, file: "vision.onnx" },
    },
  } as unknown as Models;
  if (options.withoutClip) {
    Object.assign(models, { clip: null, clipUnavailableReason: "no CLIP in this fake" });
  }
  const routing: AnswerSettings = {
    high: 0.85,
    low: 0.65,
    priorityClasses: new Set(options.priorityClasses),
  };
  const metrics = createMetrics(new Registry());
  const predictions = createPredictionStore({ maxEntries: 1000, ttlMs: 60_000 });
  const runCnn = options.runCnn ?? (() => Promise.resolve(cnnScores));
  const settings = options.settings ?? SETTINGS;
  const classifier = createClassifier({
    models,
    runners: {
      cnn: (tensors) => {
        calls.cnn += tensors.length;
        return Promise.all(tensors.map((tensor) => runCnn(tensor)));
      },
      clipVision: options.withoutClip
        ? null
        : (tensors) =>
            runClip ? runClip(tensors) : Promise.resolve(tensors.map(() => labelRow(1))),
    },
    batching: settings.batching,
    embeddingCache: { maxBytes: options.embeddingCacheBytes ?? 0, modelKey: "fake" },
    breaker: settings.breaker,
    rule: createEnsembleRule(null, { high: 0.85, low: 0.65 }),
    priorityClasses: routing.priorityClasses,
    decode: { limits: settings.limits, ...settings.decode },
    clipTimeoutMs: settings.clipTimeoutMs,
    metrics,
    predictions,
  });
  // Decodes counted as they take a slot.
  const { decodeSlots, steps } = classifier;
  const run = decodeSlots.run.bind(decodeSlots);
  decodeSlots.run = <T>(task: () => Promise<T>) => {
    calls.decode++;
    return run(task);
  };
  if (runClip) {
    const realStep = steps.embedImage;
    if (realStep) {
      steps.embedImage = (image, timeoutMs) => {
        calls.clip++;
        return realStep(image, timeoutMs);
      };
    }
    return { classifier, calls, models, routing, metrics, predictions };
  }
  // CLIP's step replaced whole (cache, batcher and breaker included), so a test decides its outcome.
  const embed =
    options.embed ??
    (async (): Promise<EmbeddingOutcome> => ({
      ok: true,
      embedding: labelRow(1),
      cacheHit: false,
      ms: 1,
    }));
  const embedImage: ImageEmbedder = async (image) => {
    calls.clip++;
    return embed(await image.tensorOnMiss());
  };
  steps.embedImage = embedImage;
  return { classifier, calls, models, routing, metrics, predictions };
}

/** A tiny real PNG as a pipeline input; each `index` a different colour (another sha256). */
export async function fakeImage(index = 0): Promise<ImageInput> {
  const bytes = await solidPng(4, 4, { r: 10 * index, g: 100, b: 200 - 10 * index });
  return { bytes, sha256: sha256Hex(bytes) };
}

/** `count` different fakeImages. */
export function fakeImages(count: number): Promise<ImageInput[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => fakeImage(i)));
}

/** One image's answer; throws when the image got an error instead. */
export async function classifyOne(
  classifier: Pick<Classifier, "classifyImages">,
  image: ImageInput,
  options: ClassifyOptions,
): Promise<Classification> {
  const [outcome] = await classifier.classifyImages([image], options);
  if (!outcome || outcome instanceof Error) throw outcome ?? new Error("no answer");
  return outcome;
}
