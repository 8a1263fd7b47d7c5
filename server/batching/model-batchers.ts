import { createCircuitBreaker } from "../batching/circuit-breaker.ts";
import {
  type BatchStats,
  createDynamicBatcher,
  type Rejection,
} from "../batching/dynamic-batcher.ts";
import { createByteLruCache } from "../cache/byte-lru-cache.ts";
import {
  type CacheLevel,
  createCoalescingCache,
  type SecondLevel,
} from "../cache/coalescing-cache.ts";
import type { Config } from "../config.ts";
import type { Models } from "../inference/load-models.ts";
import { createImageEmbedder } from "../pipeline/image-embeddings.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import { withSpan } from "../telemetry/tracing.ts";

// Per cached embedding beyond its floats: the Map entry, the key string and the array header.
const CACHE_ENTRY_OVERHEAD_BYTES = 200;

/** The batched models, as named in metrics. */
export type BatchedModel = "cnn" | "clip_vision";

export interface EmbeddingCacheOptions {
  /** Names the vision model and its preprocessing in cache keys (see modelFingerprint); unused without CLIP. */
  modelKey: string;
  /** Redis behind the in-memory LRU when configured; none keeps the cache in this process. */
  secondLevel?: SecondLevel<Float32Array> | undefined;
}

// Label values of cache_lookups_total{level}: where an answered lookup found the embedding.
const LEVEL_LABEL: Record<CacheLevel, string> = {
  memory: "memory",
  second: "redis",
  computed: "none",
};

/**
 * The process-wide serving pieces around the models: one dynamic batcher per model (they merge
 * concurrent requests' images), the CLIP image-embedding cache and the circuit breaker.
 */
export function createModelBatchers(
  models: Models,
  config: Config,
  metrics: Metrics,
  embeddingCacheOptions: EmbeddingCacheOptions,
) {
  const { maxBatchSize, maxWaitMs, vlmQueueMax, cnnQueueMax } = config.batching;
  const batchWatchers = new Set<(model: BatchedModel, stats: BatchStats) => void>();
  const observe = (model: BatchedModel) => (stats: BatchStats) => {
    metrics.batchSize.observe({ model }, stats.size);
    metrics.compute.observe({ model }, stats.computeMs / 1000);
    for (const wait of stats.queueWaitMs) metrics.queueWait.observe({ model }, wait / 1000);
    for (const watch of batchWatchers) watch(model, stats);
  };
  const countRejection = (model: BatchedModel) => (rejection: Rejection) =>
    metrics.batchAdmissionRejections.inc({ model, reason: rejection.reason });
  /** Calls `watch` after every batch any model runs, until the returned function is called. */
  const watchBatches = (watch: (model: BatchedModel, stats: BatchStats) => void) => {
    batchWatchers.add(watch);
    return () => batchWatchers.delete(watch);
  };

  const cnn = createDynamicBatcher<Float32Array, Float32Array>({
    run: (tensors) =>
      withSpan("cnn.batch", { "batch.size": tensors.length }, () => models.cnn.classify(tensors)),
    maxBatchSize,
    maxWaitMs,
    maxQueue: cnnQueueMax,
    onBatch: observe("cnn"),
    onReject: countRejection("cnn"),
  });
  const clip = models.clip;
  metrics.sources.queueLengths = () => ({ cnn: cnn.queueLength });
  if (!clip) {
    return {
      cnn,
      vision: null,
      embedImage: null,
      embeddingCache: null,
      breaker: null,
      watchBatches,
    };
  }

  const breaker = createCircuitBreaker({
    failureThreshold: config.breaker.failures,
    resetAfterMs: config.breaker.resetMs,
  });
  const vision = createDynamicBatcher<Float32Array, Float32Array>({
    run: (tensors) =>
      withSpan("clip.batch", { "batch.size": tensors.length }, () => clip.vision.embed(tensors)),
    maxBatchSize,
    maxWaitMs,
    maxQueue: vlmQueueMax,
    onBatch: observe("clip_vision"),
    onReject: countRejection("clip_vision"),
    // A hung call is a fault; waiting images only time out (load), so they never count.
    onOverrun: () => breaker.failure(),
  });
  const embeddingCache = createByteLruCache<Float32Array>({
    maxBytes: config.embeddingCacheBytes,
    sizeOf: (embedding) => embedding.byteLength + CACHE_ENTRY_OVERHEAD_BYTES,
  });
  const embedImage = createImageEmbedder({
    batcher: vision,
    cache: createCoalescingCache(embeddingCache, embeddingCacheOptions.secondLevel),
    breaker,
    modelKey: embeddingCacheOptions.modelKey,
    onLookup: (level) =>
      metrics.cacheLookups.inc({
        cache: "image_embedding",
        result: level === "computed" ? "miss" : "hit",
        level: LEVEL_LABEL[level],
      }),
  });
  metrics.sources.queueLengths = () => ({ cnn: cnn.queueLength, clip_vision: vision.queueLength });
  metrics.sources.cacheBytes = () => ({ image_embedding: embeddingCache.bytes });
  return { cnn, vision, embedImage, embeddingCache, breaker, watchBatches };
}

export type ModelBatchers = ReturnType<typeof createModelBatchers>;
