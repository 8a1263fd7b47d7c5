import type { RedisConnection } from "../redis/redis-connection.ts";
import type { SecondLevel } from "./coalescing-cache.ts";

export interface RedisEmbeddingLevelOptions {
  redis: RedisConnection;
  /** Floats per embedding: a stored value of any other length is treated as absent. */
  dimensions: number;
  /** How long Redis keeps an embedding after it was computed. */
  ttlSeconds: number;
}

/**
 * Image embeddings in Redis, shared by every replica: the raw Float32 bytes as a binary string
 * under `embedding:<key>`, where the caller's key names the model, so models never mix. Bytes
 * are in the machine's order (little-endian on x86-64 and arm64, where replicas run). Each key
 * expires after `ttlSeconds`; under memory pressure Redis' own maxmemory policy evicts (see
 * docs/scale-out.md).
 */
export function createRedisEmbeddingLevel({
  redis,
  dimensions,
  ttlSeconds,
}: RedisEmbeddingLevelOptions): SecondLevel<Float32Array> {
  const bytes = dimensions * Float32Array.BYTES_PER_ELEMENT;
  return {
    async get(key) {
      const found = await redis.attempt("embedding_get", (client) =>
        client.getBuffer(`embedding:${key}`),
      );
      if (!found.ok || found.value?.byteLength !== bytes) return undefined;
      // Copied into a fresh, aligned buffer: a Buffer may start at any offset of a shared pool.
      const embedding = new Float32Array(dimensions);
      new Uint8Array(embedding.buffer).set(found.value);
      return embedding;
    },
    async set(key, value) {
      if (value.length !== dimensions) return;
      const raw = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      await redis.attempt("embedding_set", (client) =>
        client.set(`embedding:${key}`, raw, "EX", ttlSeconds),
      );
    },
  };
}
