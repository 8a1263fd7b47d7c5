import { Registry } from "prom-client";
import sharp from "sharp";
import { createRedisEmbeddingLevel } from "../cache/redis-embedding-level.ts";
import { createRedisJsonLevel } from "../cache/redis-json-level.ts";
import { createEnsembleRule } from "../calibration/index.ts";
import type { Config } from "../config/config.ts";
import { createAccuracyWindow } from "../feedback/accuracy-window.ts";
import { createFeedback } from "../feedback/feedback.ts";
import { createPredictionStore, type PredictionStore } from "../feedback/prediction-store.ts";
import { createRedisAccuracyWindow } from "../feedback/redis-accuracy-window.ts";
import { createRedisPredictionStore } from "../feedback/redis-prediction-store.ts";
import { loadModels, type Models } from "../inference/load-models.ts";
import { modelFingerprint } from "../inference/model-fingerprint.ts";
import { loadPack, type ModelPack } from "../packs/load-pack.ts";
import { answerFingerprint } from "../pipeline/answer-fingerprint.ts";
import { withResultCache } from "../pipeline/cached-classifier.ts";
import { type Classifier, createClassifier } from "../pipeline/classify.ts";
import { createResultCache, parseCachedAnswer } from "../pipeline/result-cache.ts";
import { createRedisConnection, type RedisConnection } from "../redis/redis-connection.ts";
import { createMetrics, type Metrics } from "../telemetry/metrics.ts";
import { type CnnPriority, chooseCnnPriority } from "./cpu-priority.ts";
import { recordModels } from "./model-metrics.ts";
import type { ServiceRuntime } from "./service-runtime.ts";
import { type WarmUpReport, warmUp } from "./warm-up.ts";

// How long start-up waits for Redis (while the models load): a replica that starts with Redis
// reachable shares state from its first request; one that cannot reach it starts anyway.
const REDIS_START_WAIT_MS = 2000;

/** The process-wide singletons, built once at start and passed down to every request. */
export interface Runtime extends ServiceRuntime {
  readonly config: Config;
  readonly models: Models;
  readonly classifier: Classifier;
  /** What the warm-up ran and how long it took; a runtime exists only once it has passed. */
  readonly warmUp: WarmUpReport;
  /** How the CNN shares the cores with CLIP, and why (CNN_NICENESS). */
  readonly cnnPriority: CnnPriority;
  /** Closes what outlives requests (the Redis connection). */
  close(): Promise<void>;
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
  const redis = config.redis.url
    ? createRedisConnection({
        url: config.redis.url,
        commandTimeoutMs: config.redis.commandTimeoutMs,
        onFailure: (operation, cause) => metrics.redisFailures.inc({ operation, cause }),
        log,
      })
    : null;
  try {
    return await build(config, pack, metrics, redis, log);
  } catch (error) {
    await redis?.close();
    throw error;
  }
}

async function build(
  config: Config,
  pack: ModelPack,
  metrics: Metrics,
  redis: RedisConnection | null,
  log: (message: string) => void,
): Promise<Runtime> {
  // Connects while the models load.
  const redisConnected = redis?.waitUntilConnected(REDIS_START_WAIT_MS);
  const models = await loadModels(pack, {
    intraOpThreads: config.threads.ortIntraOp,
    cacheDir: config.cacheDir,
    precision: config.clipPrecision,
    log,
  });
  const clip = models.clip;
  const localPredictions = createPredictionStore({
    maxEntries: config.feedback.storeMax,
    ttlMs: config.feedback.ttlMs,
  });
  const predictions = redis
    ? createRedisPredictionStore({ redis, ttlMs: config.feedback.ttlMs, local: localPredictions })
    : localPredictions;
  const localWindow = createAccuracyWindow(config.feedback.window);
  // Fleet-wide with Redis (see docs/scale-out.md): every replica reports the same delta.
  const window = redis
    ? createRedisAccuracyWindow({
        redis,
        size: config.feedback.window,
        name: pack.name,
        local: localWindow,
      })
    : localWindow;
  const priorityClasses = new Set(config.routing.priorityClasses);
  // What decides an answer besides the pack: the operator's overrides of the pack's thresholds.
  const routing = { high: config.routing.high, low: config.routing.low, priorityClasses };
  const pipeline = createClassifier({
    models,
    runners: {
      cnn: (tensors) => models.cnn.classify(tensors),
      clipVision: clip ? (tensors) => clip.vision.embed(tensors) : null,
    },
    batching: config.batching,
    embeddingCache: {
      maxBytes: config.embeddingCacheBytes,
      modelKey: clip ? modelFingerprint(clip.vision.model, clip.vision.preprocess) : "",
      secondLevel:
        redis && clip
          ? createRedisEmbeddingLevel({
              redis,
              dimensions: clip.labelEmbeddings.dim,
              ttlSeconds: config.redis.embeddingTtlSeconds,
            })
          : undefined,
    },
    breaker: config.breaker,
    // The pack's calibration decides unless the operator set thresholds in the environment.
    rule: createEnsembleRule(pack.calibration, {
      high: config.routing.high,
      low: config.routing.low,
    }),
    priorityClasses,
    decode: { limits: config.limits, ...config.decode },
    clipTimeoutMs: config.clipTimeoutMs,
    metrics,
    predictions,
  });
  const classifier = withOptionalResultCache(pipeline, {
    config,
    redis,
    fingerprint: answerFingerprint(models, routing),
    predictions,
    metrics,
  });
  const submitFeedback = createFeedback({
    store: predictions,
    packLabels: pack.labels,
    window,
    metrics,
  });
  if (redis && !(await redisConnected))
    log(`Redis unreachable at start (${redis.health().lastError}); running on local state`);
  // The pipeline itself: an answer another replica left in Redis must not stand in for a warm-up.
  const report = await warmUp({
    classifier: pipeline,
    models,
    limits: config.limits,
    batching: config.batching,
    log,
  });
  const largest = config.batching.maxBatchSize;
  const perImageMs = (estimateMs: number | undefined) =>
    estimateMs === undefined ? undefined : estimateMs / largest;
  const cnnPriority = chooseCnnPriority(config.threads.cnnNiceness, {
    cnn: perImageMs(pipeline.steps.cnn.estimateMs(largest)),
    clip: perImageMs(pipeline.steps.clipVision?.estimateMs(largest)),
  });
  models.cnn.model.setNiceness(cnnPriority.niceness);
  log(`CNN threads at niceness ${cnnPriority.niceness} (${cnnPriority.reason})`);
  // Counters start at zero for clients: the warm-up images are not traffic.
  metrics.resetForTraffic();
  metrics.warmUp.set(report.seconds);
  await recordModels(metrics, models);
  metrics.sources.accuracyDelta = async () => (await window.read()).delta;
  metrics.sources.modelThreads = () => ({
    cnn: models.cnn.model.threadIds(),
    ...(clip
      ? { clip_vision: clip.vision.model.threadIds(), clip_text: clip.text.model.threadIds() }
      : {}),
  });
  metrics.sources.redisConnected = () => (redis ? redis.health().state === "connected" : null);
  return {
    config,
    models,
    classifier,
    metrics,
    submitFeedback,
    startedAt: new Date(),
    warmUp: report,
    cnnPriority,
    redisHealth: () =>
      redis ? redis.health() : { state: "disabled", lastError: null, lastErrorAt: null },
    close: async () => {
      await redis?.close();
    },
    lifecycle: { draining: false },
  };
}

/** The pipeline behind the result cache (in memory, and in Redis when shared); as is with 0 bytes. */
function withOptionalResultCache(
  pipeline: Classifier,
  options: {
    config: Config;
    redis: RedisConnection | null;
    fingerprint: string;
    predictions: PredictionStore;
    metrics: Metrics;
  },
): Classifier {
  const { config, redis, fingerprint, predictions, metrics } = options;
  if (config.resultCacheBytes === 0) return pipeline;
  const cache = createResultCache({
    maxBytes: config.resultCacheBytes,
    fingerprint,
    secondLevel: redis
      ? createRedisJsonLevel({
          redis,
          namespace: "result",
          ttlSeconds: config.redis.resultTtlSeconds,
          parse: parseCachedAnswer,
        })
      : undefined,
  });
  const otherCaches = metrics.sources.cacheBytes;
  metrics.sources.cacheBytes = () => ({ ...otherCaches(), result: cache.bytes });
  return withResultCache(pipeline, { cache, predictions, metrics });
}
