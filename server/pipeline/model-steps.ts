import { createByteLruCache } from "../cache/byte-lru-cache.ts";
import type { CacheLevel, SecondLevel } from "../cache/coalescing-cache.ts";
import { createCoalescingCache } from "../cache/coalescing-cache.ts";
import { createCircuitBreaker } from "../load-control/circuit-breaker.ts";
import {
  type BatchStats,
  createDynamicBatcher,
  type Rejection,
} from "../scheduling/dynamic-batcher.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import { withSpan } from "../telemetry/tracing.ts";
import { createImageEmbedder } from "./image-embeddings.ts";
import type { ModelRunner, ModelRunners } from "./model-runner.ts";

// Per cached embedding beyond its floats: the Map entry, the key string and the array header.
const CACHE_ENTRY_OVERHEAD_BYTES = 200;

/** The batched models, as named in metrics. */
export type BatchedModel = "cnn" | "clip_vision";

export interface BatchingOptions {
  /** Most images in one model call. */
  maxBatchSize: number;
  /** Longest the oldest image waits for a partial batch while a slot is free. */
  maxWaitMs: number;
  /** Images waiting for the CNN beyond which requests are refused as OVERLOADED. */
  cnnQueueMax: number;
  /** Images waiting for CLIP beyond which they fall back to the CNN as OVERLOADED. */
  clipQueueMax: number;
}

export interface EmbeddingCacheOptions {
  /** Bytes the in-process cache of image embeddings may hold. */
  maxBytes: number;
  /** Names the vision model and its preprocessing in cache keys (see modelFingerprint). */
  modelKey: string;
  /** Redis behind the in-memory LRU when configured; none keeps the cache in this process. */
  secondLevel?: SecondLevel<Float32Array> | undefined;
}

export interface ModelStepsOptions {
  runners: ModelRunners;
  batching: BatchingOptions;
  embeddingCache: EmbeddingCacheOptions;
  /** Consecutive CLIP faults that open the circuit, and how long it stays open. */
  breaker: { failures: number; resetMs: number };
  metrics: Metrics;
}

// Label values of cache_lookups_total{level}: where an answered lookup found the embedding.
const LEVEL_LABEL: Record<CacheLevel, string> = {
  memory: "memory",
  second: "redis",
  computed: "none",
};

/**
 * The model steps of the pipeline, built from runners of one shape: each model behind a
 * process-wide batcher (it merges concurrent requests' images), and CLIP's vision tower also
 * behind the image-embedding cache and a circuit breaker.
 */
export function createModelSteps({
  runners,
  batching,
  embeddingCache: cacheOptions,
  breaker: breakerOptions,
  metrics,
}: ModelStepsOptions) {
  const batchWatchers = new Set<(model: BatchedModel, stats: BatchStats) => void>();
  const batched = (
    model: BatchedModel,
    span: string,
    run: ModelRunner,
    maxQueue: number,
    onOverrun?: () => void,
  ) =>
    createDynamicBatcher<Float32Array, Float32Array>({
      run: (tensors) => withSpan(span, { "batch.size": tensors.length }, () => run(tensors)),
      maxBatchSize: batching.maxBatchSize,
      maxWaitMs: batching.maxWaitMs,
      maxQueue,
      onBatch: (stats) => {
        metrics.batchSize.observe({ role: model }, stats.size);
        metrics.compute.observe({ role: model }, stats.computeMs / 1000);
        for (const wait of stats.queueWaitMs)
          metrics.queueWait.observe({ role: model }, wait / 1000);
        for (const watch of batchWatchers) watch(model, stats);
      },
      onReject: (rejection: Rejection) =>
        metrics.batchAdmissionRejections.inc({ role: model, reason: rejection.reason }),
      ...(onOverrun ? { onOverrun } : {}),
    });
  /** Calls `watch` after every batch any model runs, until the returned function is called. */
  const watchBatches = (watch: (model: BatchedModel, stats: BatchStats) => void) => {
    batchWatchers.add(watch);
    return () => batchWatchers.delete(watch);
  };

  const cnn = batched("cnn", "cnn.batch", runners.cnn, batching.cnnQueueMax);
  metrics.sources.queueLengths = () => ({ cnn: cnn.queueLength });
  metrics.sources.queueCapacities = () => ({ cnn: batching.cnnQueueMax });
  if (!runners.clipVision) {
    return {
      cnn,
      clipVision: null,
      embedImage: null,
      embeddingCache: null,
      breaker: null,
      watchBatches,
    };
  }

  const breaker = createCircuitBreaker({
    failureThreshold: breakerOptions.failures,
    resetAfterMs: breakerOptions.resetMs,
  });
  const clipVision = batched(
    "clip_vision",
    "clip.batch",
    runners.clipVision,
    batching.clipQueueMax,
    // A hung call is a fault; waiting images only time out (load), so they never count.
    () => breaker.failure(),
  );
  const embeddingCache = createByteLruCache<Float32Array>({
    maxBytes: cacheOptions.maxBytes,
    sizeOf: (embedding) => embedding.byteLength + CACHE_ENTRY_OVERHEAD_BYTES,
  });
  const embedImage = createImageEmbedder({
    batcher: clipVision,
    cache: createCoalescingCache(embeddingCache, cacheOptions.secondLevel),
    breaker,
    modelKey: cacheOptions.modelKey,
    onLookup: (level) =>
      metrics.cacheLookups.inc({
        cache: "image_embedding",
        result: level === "computed" ? "miss" : "hit",
        level: LEVEL_LABEL[level],
      }),
  });
  metrics.sources.queueLengths = () => ({
    cnn: cnn.queueLength,
    clip_vision: clipVision.queueLength,
  });
  metrics.sources.queueCapacities = () => ({
    cnn: batching.cnnQueueMax,
    clip_vision: batching.clipQueueMax,
  });
  metrics.sources.cacheBytes = () => ({ image_embedding: embeddingCache.bytes });
  metrics.sources.breakerStates = () => ({ clip_vision: breaker.state });
  return { cnn, clipVision, embedImage, embeddingCache, breaker, watchBatches };
}
