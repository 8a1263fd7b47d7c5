import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createRedisConnection, type RedisConnection } from "../redis/redis-connection.ts";
import {
  hasRedisServer,
  type RunningRedis,
  startRedisServer,
  warnIfNoRedisServer,
} from "../testing/redis-server.ts";
import { createAccuracyWindow } from "./accuracy-window.ts";
import { createPredictionStore, type Prediction } from "./prediction-store.ts";
import { createRedisAccuracyWindow } from "./redis-accuracy-window.ts";
import { createRedisPredictionStore } from "./redis-prediction-store.ts";

warnIfNoRedisServer("the Redis prediction store and accuracy window tests");

const ANSWER: Prediction = {
  cnnLabel: "shirt",
  finalLabel: "t-shirt/top",
  vlmUsed: true,
  customLabels: null,
};

describe.skipIf(!hasRedisServer)("Redis-backed feedback state against a real redis-server", () => {
  let server: RunningRedis;
  const connections: RedisConnection[] = [];

  /** One replica: its own connection and local fallbacks, sharing the Redis server. */
  async function replica(windowSize = 4) {
    const redis = createRedisConnection({ url: server.url });
    connections.push(redis);
    expect(await redis.waitUntilConnected(5000)).toBe(true);
    const local = createPredictionStore({ ttlMs: 60_000 });
    const localWindow = createAccuracyWindow(windowSize);
    return {
      redis,
      local,
      localWindow,
      store: createRedisPredictionStore({ redis, ttlMs: 60_000, local }),
      window: createRedisAccuracyWindow({
        redis,
        size: windowSize,
        name: "fashion-mnist",
        local: localWindow,
      }),
    };
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

  describe("the prediction store", () => {
    it("finds on one replica an answer another stored, with the TTL on its key", async () => {
      const a = await replica();
      const b = await replica();
      await a.store.remember("id-1", ANSWER);
      expect(await b.store.get("id-1")).toEqual({ ...ANSWER, feedbackLabel: null });
      expect(await b.local.get("id-1")).toBeUndefined();
      const ttl = Number(
        (await server.command("PTTL", "vision-classify:prediction:id-1")).slice(1),
      );
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it("lets exactly one of many concurrent claims on two replicas win", async () => {
      const a = await replica();
      const b = await replica();
      await a.store.remember("id-2", { ...ANSWER, customLabels: ["boot", "shirt"] });
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).store.claimFeedback("id-2", "boot")),
      );
      expect(claims.filter((c) => c === "recorded")).toHaveLength(1);
      expect(claims.filter((c) => c === "duplicate")).toHaveLength(9);
      expect(await b.store.get("id-2")).toMatchObject({
        customLabels: ["boot", "shirt"],
        feedbackLabel: "boot",
      });
    });

    it("says unknown for an id no replica stored, and does not create a key for it", async () => {
      const a = await replica();
      expect(await a.store.get("nobody")).toBeUndefined();
      expect(await a.store.claimFeedback("nobody", "shirt")).toBe("unknown");
      expect(await server.command("EXISTS", "vision-classify:prediction:nobody")).toBe(":0\r\n");
    });

    it("ignores a hash it did not write", async () => {
      const a = await replica();
      await server.command("HSET", "vision-classify:prediction:odd", "answer", '{"cnnLabel":3}');
      expect(await a.store.get("odd")).toBeUndefined();
    });

    it("answers from the replica's own store while Redis is down, and detects duplicates there", async () => {
      const a = await replica();
      await server.kill();
      try {
        await vi.waitFor(() => expect(a.redis.health().state).toBe("unavailable"));
        await a.store.remember("id-3", ANSWER);
        expect(await a.store.get("id-3")).toEqual({ ...ANSWER, feedbackLabel: null });
        expect(await a.store.claimFeedback("id-3", "shirt")).toBe("recorded");
        expect(await a.store.claimFeedback("id-3", "shirt")).toBe("duplicate");
      } finally {
        await server.restart();
      }
      // Back on Redis, the answer it never saw is still this replica's to judge.
      await vi.waitFor(() => expect(a.redis.health().state).toBe("connected"), { timeout: 10_000 });
      expect(await a.store.get("id-3")).toMatchObject({ feedbackLabel: "shirt" });
      expect(await a.store.claimFeedback("id-3", "shirt")).toBe("duplicate");
    });
  });

  describe("the accuracy window", () => {
    it("is the fleet's: feedback on either replica moves the same window, trimmed to its size", async () => {
      const a = await replica(4);
      const b = await replica(4);
      expect(await a.window.read()).toEqual({ delta: 0, count: 0 });
      // CLIP fixes one answer (final right only), then breaks one (CNN right only) ...
      expect(await a.window.add({ cnnRight: false, finalRight: true })).toEqual({
        delta: 1,
        count: 1,
      });
      expect(await b.window.add({ cnnRight: true, finalRight: false })).toEqual({
        delta: 0,
        count: 2,
      });
      // ... then four more fixes: the window keeps the last four, so the break falls out.
      for (const window of [a.window, b.window, a.window, b.window]) {
        await window.add({ cnnRight: false, finalRight: true });
      }
      expect(await b.window.read()).toEqual({ delta: 1, count: 4 });
      expect(await server.command("LLEN", "vision-classify:accuracy-window:fashion-mnist")).toBe(
        ":4\r\n",
      );
      // Each replica's own window saw only its own feedbacks.
      expect(await b.localWindow.read()).toEqual({ delta: 1 / 3, count: 3 });
    });

    it("falls back to the replica's own window while Redis is down", async () => {
      const a = await replica(4);
      await a.window.add({ cnnRight: true, finalRight: true });
      await server.kill();
      try {
        await vi.waitFor(() => expect(a.redis.health().state).toBe("unavailable"));
        expect(await a.window.add({ cnnRight: false, finalRight: true })).toEqual({
          delta: 0.5,
          count: 2,
        });
        expect(await a.window.read()).toEqual({ delta: 0.5, count: 2 });
      } finally {
        await server.restart();
      }
    });
  });
});
