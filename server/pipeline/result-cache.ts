import { createHash } from "node:crypto";
import { createByteLruCache } from "../cache/byte-lru-cache.ts";
import type { SecondLevel } from "../cache/coalescing-cache.ts";
import type { Classification, ClassifyOptions } from "./types.ts";

/** What a cached answer keeps: everything but what belongs to the one request that got it. */
export type CachedAnswer = Omit<
  Classification,
  "id" | "timings" | "cacheHit" | "resultCacheHit" | "fallback"
>;

/** Where a lookup found its answer: this process, or the level shared by replicas (Redis). */
export type ResultLevel = "memory" | "second";

export interface ResultCacheOptions {
  /** Bytes of answers kept in this process (LRU); no default (RESULT_CACHE_BYTES). */
  maxBytes: number;
  /** Names the pack and routing rules in every key (see answerFingerprint). */
  fingerprint: string;
  /** Redis behind the in-memory LRU when configured; default none (this process only). */
  secondLevel?: SecondLevel<CachedAnswer> | undefined;
}

export interface ResultCache {
  /** The answer an identical earlier request got; undefined on a miss. Never throws. */
  lookup(
    sha256: string,
    options: ClassifyOptions,
  ): Promise<{ answer: CachedAnswer; level: ResultLevel } | undefined>;
  /** Keeps a complete answer (no fallback); a fallback is ignored. Never throws. */
  store(sha256: string, options: ClassifyOptions, answer: Classification): Promise<void>;
  /** Bytes held in this process, as estimated per entry. */
  readonly bytes: number;
}

// An estimate, not a measurement: the objects held take about twice their JSON's bytes (strings
// may be UTF-16, numbers are 8 bytes, every object has a header), plus the Map entry and key.
const ENTRY_OVERHEAD_BYTES = 300;
const MEMORY_PER_JSON_BYTE = 2;

/**
 * Complete answers by image and options, so a repeated image skips decode, CNN and CLIP. The
 * key is `<fingerprint>:<image sha256>:<options digest>`; the options are normalised first, so
 * requests that must get the same answer share an entry (see optionsDigest).
 */
export function createResultCache({
  maxBytes,
  fingerprint,
  secondLevel,
}: ResultCacheOptions): ResultCache {
  const memory = createByteLruCache<{ answer: CachedAnswer; bytes: number }>({
    maxBytes,
    sizeOf: (entry) => entry.bytes,
  });
  const keyOf = (sha256: string, options: ClassifyOptions) =>
    `${fingerprint}:${sha256}:${optionsDigest(options)}`;
  const keep = (key: string, answer: CachedAnswer, json: string) =>
    memory.set(key, {
      answer,
      bytes: json.length * MEMORY_PER_JSON_BYTE + key.length + ENTRY_OVERHEAD_BYTES,
    });

  return {
    async lookup(sha256, options) {
      const key = keyOf(sha256, options);
      const held = memory.get(key);
      if (held) return { answer: held.answer, level: "memory" };
      const shared = await secondLevel?.get(key);
      if (!shared) return undefined;
      // Kept here too, so the next request for it does not ask Redis again.
      keep(key, shared, JSON.stringify(shared));
      return { answer: shared, level: "second" };
    },
    async store(sha256, options, answer) {
      if (answer.fallback !== null) return;
      const {
        id: _id,
        timings: _timings,
        cacheHit: _cacheHit,
        resultCacheHit: _resultCacheHit,
        fallback: _fallback,
        ...kept
      } = answer;
      const key = keyOf(sha256, options);
      keep(key, kept, JSON.stringify(kept));
      await secondLevel?.set(key, kept);
    },
    get bytes() {
      return memory.bytes;
    },
  };
}

/**
 * The options as they decide an answer. Custom labels route to CLIP whatever the VLM mode
 * (AUTO and FORCE answer alike), and their order changes no score (only which of two exactly
 * equal scores is listed first), so they are sorted. Hashed: a label set may be long.
 */
function optionsDigest(options: ClassifyOptions): string {
  const normalised = options.labels
    ? { topK: options.topK, labels: [...options.labels].sort() }
    : { topK: options.topK, vlm: options.vlm };
  return createHash("sha256").update(JSON.stringify(normalised)).digest("hex").slice(0, 16);
}

/**
 * Checks a value read back from Redis: only an object with this service's answer fields is
 * served; anything else (another version's, a hand-made key) is a miss.
 */
export function parseCachedAnswer(json: unknown): CachedAnswer | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const value = json as Partial<CachedAnswer>;
  const isScore = (s: unknown) =>
    typeof s === "object" &&
    s !== null &&
    typeof (s as { label?: unknown }).label === "string" &&
    typeof (s as { score?: unknown }).score === "number";
  const isModelScores = (m: unknown) =>
    typeof m === "object" &&
    m !== null &&
    typeof (m as { model?: unknown }).model === "string" &&
    isScore((m as { top?: unknown }).top) &&
    Array.isArray((m as { predictions?: unknown }).predictions) &&
    ((m as { predictions: unknown[] }).predictions as unknown[]).every(isScore);
  const valid =
    isScore(value.top) &&
    Array.isArray(value.predictions) &&
    value.predictions.every(isScore) &&
    isModelScores(value.cnn) &&
    (value.vlm === null || isModelScores(value.vlm)) &&
    typeof value.vlmUsed === "boolean" &&
    (value.vlmReason === null || typeof value.vlmReason === "string") &&
    (value.cnnWeight === null || typeof value.cnnWeight === "number") &&
    typeof value.image === "object" &&
    value.image !== null &&
    typeof value.image.sha256 === "string" &&
    typeof value.model === "string";
  return valid ? (value as CachedAnswer) : undefined;
}
