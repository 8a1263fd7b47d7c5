import type { CacheLevel, CoalescingCache } from "../cache/coalescing-cache.ts";
import type { CircuitBreaker } from "../load-control/circuit-breaker.ts";
import { isLoadRefusal } from "../load-control/load-refusals.ts";
import type { DynamicBatcher } from "../scheduling/dynamic-batcher.ts";
import { withSpan } from "../telemetry/tracing.ts";
import type { Fallback } from "./types.ts";
import { TimeoutError, withTimeout } from "./with-timeout.ts";

// Share of the timeout kept in reserve when the batcher plans an image's batch.
const DEADLINE_MARGIN = 0.15;

/** An image's CLIP embedding, or why there is none. Never an error for the client. */
export type EmbeddingOutcome =
  | { ok: true; embedding: Float32Array; cacheHit: boolean; ms: number }
  | { ok: false; fallback: Fallback; ms: number; error?: unknown };

/** An image to embed: its hash keys the cache; its tensor is made only when the cache misses. */
export interface EmbedderImage {
  sha256: string;
  tensorOnMiss: () => Promise<Float32Array>;
}

export interface ImageEmbedderOptions {
  /** The process-wide batcher in front of CLIP's vision tower. */
  batcher: DynamicBatcher<Float32Array, Float32Array>;
  /**
   * Embeddings by image: identical images in flight share one model call. In memory, or in
   * memory in front of Redis; this step does not know which.
   */
  cache: CoalescingCache<Float32Array>;
  breaker: CircuitBreaker;
  /** Identifies the vision model and its precision, so a cache never mixes models. */
  modelKey: string;
  /** Told where each answered lookup found its embedding ("computed": a model call). */
  onLookup?: (level: CacheLevel) => void;
}

/**
 * The cache step of the pipeline: cache hit (this process, or Redis when configured) → no model
 * call; miss → the batcher, bounded by a timeout, behind a circuit breaker. The timeout is also
 * the image's deadline in the batcher, which refuses it at once (OVERLOADED) when it cannot be
 * met. Each image gets its own outcome, so one slow or failing image never decides for the others.
 */
export function createImageEmbedder({
  batcher,
  cache,
  breaker,
  modelKey,
  onLookup,
}: ImageEmbedderOptions) {
  return async function embedImage(
    image: EmbedderImage,
    timeoutMs: number,
  ): Promise<EmbeddingOutcome> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    // On the batcher's default clock (performance.now), counted from when the wait began.
    // The batcher plans from compute estimates alone; the answer still has to cross back from
    // the model's thread and be scored, and estimates drift when other work takes the cores.
    // Planning to finish a little early keeps admitted work from timing out after compute.
    const deadline = started + timeoutMs * (1 - DEADLINE_MARGIN);
    if (!breaker.allow()) return { ok: false, fallback: "UNAVAILABLE", ms: 0 };
    const abort = new AbortController();
    try {
      const { value, hit, level } = await withTimeout(
        withSpan("cache", { "image.sha256": image.sha256 }, async (span) => {
          const found = await cache.getOrCompute(`${modelKey}:${image.sha256}`, async () =>
            withSpan("queue", {}, async () =>
              batcher.submit(await image.tensorOnMiss(), { signal: abort.signal, deadline }),
            ),
          );
          span.setAttributes({
            "cache.hit": found.hit,
            "cache.shared": found.shared,
            "cache.level": found.level,
          });
          return found;
        }),
        timeoutMs,
      );
      onLookup?.(level);
      breaker.success();
      return { ok: true, embedding: value, cacheHit: hit, ms: elapsed() };
    } catch (error) {
      // A queued item whose caller gave up is dropped, so timed-out work costs no model time.
      abort.abort(error);
      const fallback = fallbackFor(error);
      // Faults only. Refusals for load say CLIP is busy, not broken; a late answer is load too,
      // while a hung call is reported by the batcher's overrun watch, once per period rather
      // than once per waiting image.
      if (fallback === "ERROR") breaker.failure(error);
      return { ok: false, fallback, ms: elapsed(), error };
    }
  };
}

export type ImageEmbedder = ReturnType<typeof createImageEmbedder>;

function fallbackFor(error: unknown): Fallback {
  if (isLoadRefusal(error)) return "OVERLOADED";
  if (error instanceof TimeoutError) return "TIMEOUT";
  return "ERROR";
}
