import { randomUUID } from "node:crypto";
import type { PredictionStore } from "../feedback/prediction-store.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import type { Classifier, ClassifyOutcome } from "./classify.ts";
import { rememberAnswer } from "./remember-answer.ts";
import type { CachedAnswer, ResultCache, ResultLevel } from "./result-cache.ts";
import type { Classification, ClassifyOptions, ImageInput } from "./types.ts";

export interface ResultCachingOptions {
  cache: ResultCache;
  /** Where answers are kept for feedback: a cached answer is a new answer with its own id. */
  predictions: PredictionStore;
  metrics: Metrics;
}

// Label values of cache_lookups_total{level}, as the image-embedding cache reports them.
const LEVEL_LABEL: Record<ResultLevel | "none", string> = {
  memory: "memory",
  second: "redis",
  none: "none",
};

/**
 * The classifier behind a result cache: images answered before with the same options (and the
 * same pack) are answered from it, without decode, CNN or CLIP; the rest go through the
 * pipeline, and their complete answers (no fallback) are kept for next time. A cached answer
 * is still a new answer: its own id, stored for feedback, this request's timings, and
 * `resultCacheHit` saying where it came from.
 */
export function withResultCache(
  classifier: Classifier,
  { cache, predictions, metrics }: ResultCachingOptions,
): Classifier {
  async function classifyImages(
    inputs: readonly ImageInput[],
    options: ClassifyOptions,
  ): Promise<ClassifyOutcome[]> {
    const started = performance.now();
    const found = await Promise.all(inputs.map((input) => cache.lookup(input.sha256, options)));
    const missed = inputs.filter((_, i) => found[i] === undefined);
    const computed =
      missed.length > 0 ? await classifier.classifyImages(missed, options) : ([] as const);
    const fresh = new Map(missed.map((input, i) => [input, computed[i] as ClassifyOutcome]));

    const saving: Promise<void>[] = [];
    const outcomes = inputs.map((input, i): ClassifyOutcome => {
      const hit = found[i];
      metrics.cacheLookups.inc({
        cache: "result",
        result: hit ? "hit" : "miss",
        level: LEVEL_LABEL[hit?.level ?? "none"],
      });
      if (hit) {
        const answer = served(hit.answer, options, performance.now() - started);
        saving.push(rememberAnswer(predictions, answer, options));
        return answer;
      }
      const outcome = fresh.get(input) as ClassifyOutcome;
      if (outcome instanceof Error) return outcome;
      saving.push(cache.store(input.sha256, options, outcome));
      return { ...outcome, resultCacheHit: false };
    });
    // As the pipeline does for its own answers: stored before the ids go out. Never throws.
    await Promise.all(saving);
    return outcomes;
  }

  function served(cached: CachedAnswer, options: ClassifyOptions, totalMs: number): Classification {
    // Counted as the pipeline counts its answers, so routing shares stay true to the traffic;
    // as for an embedding-cache hit, no CLIP latency is observed (no model ran).
    metrics.images.inc({ result: "ok" });
    metrics.cnnConfidence.observe(cached.cnn.top.score);
    metrics.predictions.inc({ label: options.labels ? "(custom labels)" : cached.top.label });
    if (cached.vlmReason) metrics.clipInvocations.inc({ reason: cached.vlmReason.toLowerCase() });
    return {
      ...cached,
      id: randomUUID(),
      fallback: null,
      // No CLIP call was needed for CLIP's part of this answer.
      cacheHit: cached.vlmUsed,
      resultCacheHit: true,
      timings: { decodeMs: 0, cnnMs: 0, vlmMs: null, totalMs },
    };
  }

  return { ...classifier, classifyImages };
}
