import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerFingerprint } from "../pipeline/answer-fingerprint.ts";
import { withResultCache } from "../pipeline/cached-classifier.ts";
import { createResultCache, parseCachedAnswer } from "../pipeline/result-cache.ts";
import { createRedisConnection, type RedisConnection } from "../redis/redis-connection.ts";
import { classifyOne, createFakePipeline, fakeImage } from "../testing/fake-pipeline.ts";
import {
  hasRedisServer,
  type RunningRedis,
  startRedisServer,
  warnIfNoRedisServer,
} from "../testing/redis-server.ts";
import { createRedisJsonLevel } from "./redis-json-level.ts";

warnIfNoRedisServer("the Redis result cache test");

describe.skipIf(!hasRedisServer)("the result cache shared through a real redis-server", () => {
  let server: RunningRedis;
  const connections: RedisConnection[] = [];

  /** One replica: its own pipeline, memory and connection, in front of the shared Redis. */
  async function replica() {
    const redis = createRedisConnection({ url: server.url, commandTimeoutMs: 1000 });
    connections.push(redis);
    expect(await redis.waitUntilConnected(5000)).toBe(true);
    const fake = createFakePipeline();
    const cache = createResultCache({
      maxBytes: 1 << 20,
      fingerprint: answerFingerprint(fake.models, fake.routing),
      secondLevel: createRedisJsonLevel({
        redis,
        namespace: "result",
        ttlSeconds: 600,
        parse: parseCachedAnswer,
      }),
    });
    const classifier = withResultCache(fake.classifier, {
      cache,
      predictions: fake.predictions,
      metrics: fake.metrics,
    });
    return { ...fake, classifier };
  }

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const redis of connections) await redis.close();
    await server?.kill();
  });

  it("serves on one classifier what the other computed, as JSON with a TTL, and ignores junk", async () => {
    const a = await replica();
    const b = await replica();
    const [image, other] = await Promise.all([fakeImage(0), fakeImage(1)]);
    const options = { topK: 2, vlm: "FORCE", labels: null } as const;

    const first = await classifyOne(a.classifier, image, options);
    const second = await classifyOne(b.classifier, image, options);
    expect(b.calls).toEqual({ decode: 0, cnn: 0, clip: 0 });
    expect(second).toMatchObject({ resultCacheHit: true, predictions: first.predictions });
    expect(second.id).not.toBe(first.id);
    await expect(b.predictions.get(second.id)).resolves.toBeDefined();

    const keys = (await server.command("KEYS", "vision-classify:result:*")).split("\r\n");
    const key = keys.find((line) => line.startsWith("vision-classify:result:")) as string;
    const ttl = Number((await server.command("TTL", key)).slice(1));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);

    // A value this service did not write is a miss, never an answer.
    const junkKey = key.replace(image.sha256, other.sha256);
    await server.command("SET", junkKey, '{"top":"cat"}');
    const fresh = await classifyOne(b.classifier, other, options);
    expect(fresh.resultCacheHit).toBe(false);
    expect(b.calls.cnn).toBe(1);
  });
});
