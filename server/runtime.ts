import { Registry } from "prom-client";
import sharp from "sharp";
import { createConcurrencyLimiter } from "./batching/concurrency-limiter.ts";
import { createModelBatchers, type ModelBatchers } from "./batching/model-batchers.ts";
import type { Config } from "./config.ts";
import { createFeedback, type SubmitFeedback } from "./feedback/feedback.ts";
import { createPredictionStore } from "./feedback/prediction-store.ts";
import { loadModels, type Models } from "./inference/load-models.ts";
import { loadPack } from "./packs/load-pack.ts";
import { type Classifier, createClassifier } from "./pipeline/classify.ts";
import { createMetrics, type Metrics } from "./telemetry/metrics.ts";
import { warmUp } from "./warm-up.ts";

/** The process-wide singletons, built once at start and passed down to every request. */
export interface Runtime {
  readonly config: Config;
  readonly models: Models;
  readonly batchers: ModelBatchers;
  readonly classifier: Classifier;
  readonly metrics: Metrics;
  readonly submitFeedback: SubmitFeedback;
  readonly startedAt: Date;
  /** Null until the first real inference has passed; then how long it took. */
  readonly warmUpSeconds: number | null;
  /** Set on shutdown: readiness fails so load balancers stop sending new requests. */
  readonly lifecycle: { draining: boolean };
}

export async function createRuntime(
  config: Config,
  log: (message: string) => void = () => {},
  registry: Registry = new Registry(),
): Promise<Runtime> {
  // Decodes run in parallel on libuv's pool; one libvips thread each leaves cores for onnxruntime.
  sharp.concurrency(config.threads.sharp);
  const metrics = createMetrics(registry);
  const pack = await loadPack(config.modelPack);
  const unknownPriority = config.routing.priorityClasses.filter(
    (label) => !pack.labels.includes(label),
  );
  if (unknownPriority.length > 0) {
    throw new Error(
      `VLM_PRIORITY_CLASSES names labels the pack does not have: ${unknownPriority.join(", ")}`,
    );
  }
  const models = await loadModels(pack, {
    intraOpThreads: config.threads.ortIntraOp,
    cacheDir: config.cacheDir,
    precision: config.vlmPrecision,
    log,
  });
  const batchers = createModelBatchers(models, config, metrics);
  const predictions = createPredictionStore({
    maxEntries: config.feedback.storeMax,
    ttlMs: config.feedback.ttlMs,
  });
  const decodeSlots = createConcurrencyLimiter({
    concurrency: config.decode.concurrency,
    maxQueue: config.decode.queueMax,
  });
  metrics.sources.decodes = () => ({ active: decodeSlots.active, waiting: decodeSlots.waiting });
  const classifier = createClassifier({
    models,
    routing: {
      high: config.routing.high,
      low: config.routing.low,
      priorityClasses: new Set(config.routing.priorityClasses),
    },
    decode: { limits: config.limits, slots: decodeSlots },
    vlmTimeoutMs: config.vlmTimeoutMs,
    runCnn: (tensor) => batchers.cnn.submit(tensor),
    embedImage: batchers.embedImage,
    metrics,
    predictions,
  });
  const submitFeedback = createFeedback({
    store: predictions,
    packLabels: pack.labels,
    window: config.feedback.window,
    metrics,
  });
  const runtime = {
    config,
    models,
    batchers,
    classifier,
    metrics,
    submitFeedback,
    startedAt: new Date(),
    warmUpSeconds: null as number | null,
    lifecycle: { draining: false },
  };
  runtime.warmUpSeconds = await warmUp(classifier);
  // Counters start at zero for clients: the warm-up image is not traffic.
  registry.resetMetrics();
  metrics.warmUp.set(runtime.warmUpSeconds);
  for (const model of [models.cnn.model, models.clip?.vision.model, models.clip?.text.model]) {
    if (model)
      metrics.modelLoad.set({ model: model.path.slice(pack.dir.length + 1) }, model.loadSeconds);
  }
  return runtime;
}
