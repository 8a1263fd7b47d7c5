import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createRedisConnection, type RedisConnection } from "../redis/redis-connection.ts";
import {
  hasRedisServer,
  type RunningRedis,
  startRedisServer,
  warnIfNoRedisServer,
} from "../testing/redis-server.ts";
import { createByteLruCache } from "./byte-lru-cache.ts";
import { createCoalescingCache } from "./coalescing-cache.ts";
import { createRedisEmbeddingLevel } from "./redis-embedding-level.ts";

warnIfNoRedisServer("the Redis embedding cache tests");

const DIMENSIONS = 64;
const embeddingOf = (seed: number) =>
  Float32Array.from({ length: DIMENSIONS }, (_, i) => Math.sin(seed * 31 + i));

describe.skipIf(!hasRedisServer)(
  "the two-level embedding cache against a real redis-server",
  () => {
    let server: RunningRedis;
    const connections: RedisConnection[] = [];

    /** One replica's cache: its own LRU and its own connection, in front of the shared Redis. */
    async function replica(ttlSeconds = 3600) {
      const redis = createRedisConnection({ url: server.url });
      connections.push(redis);
      expect(await redis.waitUntilConnected(5000)).toBe(true);
      const lru = createByteLruCache<Float32Array>({
        maxBytes: 1 << 20,
        sizeOf: (value) => value.byteLength,
      });
      const level = createRedisEmbeddingLevel({ redis, dimensions: DIMENSIONS, ttlSeconds });
      return { lru, level, cache: createCoalescingCache(lru, level) };
    }

    beforeAll(async () => {
      server = await startRedisServer();
    });
    beforeEach(async () => {
      await server.command("FLUSHALL");
    });
    afterAll(async () => {
      for (const redis of connections) await redis.close();
      await server?.kill();
    });

    it("serves a value another replica computed from Redis, as a hit, and keeps it in memory", async () => {
      const a = await replica();
      const b = await replica();
      const computeA = vi.fn(async () => embeddingOf(1));
      const computeB = vi.fn(async () => embeddingOf(2));

      expect(await a.cache.getOrCompute("model:img", computeA)).toMatchObject({
        hit: false,
        level: "computed",
      });
      // The write to Redis is not awaited by the caller; it lands within a round trip.
      await vi.waitFor(async () => expect(await a.level.get("model:img")).toBeDefined());

      const fromB = await b.cache.getOrCompute("model:img", computeB);
      expect(fromB).toMatchObject({ hit: true, shared: false, level: "second" });
      expect(fromB.value).toEqual(embeddingOf(1));
      expect(computeB).not.toHaveBeenCalled();
      expect(b.lru.has("model:img")).toBe(true);
      expect(await b.cache.getOrCompute("model:img", computeB)).toMatchObject({ level: "memory" });
    });

    it("stores the raw float32 bytes under a prefixed key with the TTL", async () => {
      const { level } = await replica(120);
      await level.set("model:img", embeddingOf(3));
      expect(await server.command("STRLEN", "vision-classify:embedding:model:img")).toBe(
        `:${DIMENSIONS * 4}\r\n`,
      );
      const ttl = Number(
        (await server.command("TTL", "vision-classify:embedding:model:img")).slice(1),
      );
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(120);
    });

    it("treats a value of the wrong length as absent, and computes", async () => {
      const { cache } = await replica();
      await server.command("SET", "vision-classify:embedding:model:img", "not an embedding");
      const compute = vi.fn(async () => embeddingOf(4));
      expect(await cache.getOrCompute("model:img", compute)).toMatchObject({ level: "computed" });
      expect(compute).toHaveBeenCalledOnce();
    });

    it("shares one Redis lookup among concurrent callers of the same key", async () => {
      const a = await replica();
      const b = await replica();
      await a.level.set("model:img", embeddingOf(5));
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          b.cache.getOrCompute("model:img", async () => embeddingOf(6)),
        ),
      );
      expect(results.map((r) => [r.level, r.shared])).toEqual([
        ["second", false],
        ["memory", true],
        ["memory", true],
        ["memory", true],
      ]);
      expect(results.every((r) => r.value[0] === embeddingOf(5)[0])).toBe(true);
    });

    it("computes, without an error, while Redis is down", async () => {
      const a = await replica();
      await server.kill();
      try {
        await vi.waitFor(() => expect(connections.at(-1)?.health().state).toBe("unavailable"));
        const compute = vi.fn(async () => embeddingOf(7));
        expect(await a.cache.getOrCompute("model:img", compute)).toMatchObject({
          hit: false,
          level: "computed",
        });
        expect(await a.cache.getOrCompute("model:img", compute)).toMatchObject({ level: "memory" });
        expect(compute).toHaveBeenCalledOnce();
      } finally {
        await server.restart();
      }
    });
  },
);
