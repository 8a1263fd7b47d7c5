import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonRequest, multipartRequest } from "../testing/multipart.ts";
import {
  hasRedisServer,
  type RunningRedis,
  startRedisServer,
  warnIfNoRedisServer,
} from "../testing/redis-server.ts";
import { type ServiceProcess, startServiceProcess } from "../testing/service-process.ts";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import {
  CLASSIFY,
  type ClassificationResult,
  type GraphQLResponse,
  TEST_PACK,
} from "../testing/test-app.ts";

warnIfNoRedisServer("the scale-out tests (two replicas sharing Redis)");

const SUBMIT = `mutation Feedback($id: ID!, $label: String!) {
  submitFeedback(id: $id, label: $label) { outcome accuracyDelta windowSize }
}`;

interface Ready {
  ready: boolean;
  redis: "connected" | "unavailable" | "disabled";
  redisLastError: string | null;
}

const samples = loadEmbeddedSamples();
const sample = (i: number) => samples[i] as { bytes: Buffer; label: string };

async function send<T>(request: Request): Promise<GraphQLResponse<T>> {
  const response = await fetch(request);
  return {
    status: response.status,
    ...((await response.json()) as Omit<GraphQLResponse<T>, "status">),
  };
}

/** Classifies one image on a replica, with CLIP forced so the embedding cache is used. */
async function classify(replica: ServiceProcess, bytes: Uint8Array, topK = 5) {
  const response = await send<{ classify: ClassificationResult }>(
    multipartRequest(
      CLASSIFY,
      { image: null, options: { vlm: "FORCE", topK } },
      [{ path: "variables.image", bytes }],
      `${replica.url}/graphql`,
    ),
  );
  expect(response.errors).toBeUndefined();
  return response.data?.classify as ClassificationResult;
}

const feedback = (replica: ServiceProcess, id: string, label: string) =>
  send<{ submitFeedback: { outcome: string; accuracyDelta: number; windowSize: number } }>(
    jsonRequest(SUBMIT, { id, label }, `${replica.url}/graphql`),
  );

async function readiness(replica: ServiceProcess): Promise<{ status: number; body: Ready }> {
  const response = await fetch(`${replica.url}/ready`);
  return { status: response.status, body: (await response.json()) as Ready };
}

async function waitForRedis(replica: ServiceProcess, state: Ready["redis"]) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { body } = await readiness(replica);
    if (body.redis === state) return;
    if (Date.now() > deadline)
      throw new Error(`redis never became ${state}: ${JSON.stringify(body)}\n${replica.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One sample of a metric from a replica's /metrics, 0 when absent. */
async function metric(replica: ServiceProcess, series: string): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe.skipIf(!hasRedisServer)("two replicas sharing one Redis", () => {
  let redis: RunningRedis;
  let cacheDir: string;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    cacheDir = await mkdtemp(join(tmpdir(), "scale-out-"));
    const env = {
      MODEL_PACK: TEST_PACK,
      REDIS_URL: redis.url,
      CACHE_DIR: cacheDir,
      VLM_TIMEOUT_MS: "30000",
    };
    [a, b] = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.kill();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it("are ready with Redis connected", async () => {
    for (const replica of [a, b]) {
      expect(await readiness(replica)).toMatchObject({
        status: 200,
        body: { ready: true, redis: "connected" },
      });
    }
  });

  it("share image embeddings: what one replica computed is a cache hit on the other", async () => {
    const first = await classify(a, sample(0).bytes);
    expect(first).toMatchObject({ vlmUsed: true, cacheHit: false });
    // Other options, so the answer is not the one the result cache holds: CLIP's part is shared.
    const second = await classify(b, sample(0).bytes, 3);
    expect(second).toMatchObject({ vlmUsed: true, cacheHit: true, resultCacheHit: false });
    expect(second.vlm?.predictions).toEqual(first.vlm?.predictions.slice(0, 3));
    expect(
      await metric(b, 'cache_lookups_total{cache="image_embedding",result="hit",level="redis"}'),
    ).toBe(1);
  });

  it("share answers: the same image and options on the other replica run no model", async () => {
    const first = await classify(a, sample(5).bytes);
    expect(first).toMatchObject({ resultCacheHit: false });
    const second = await classify(b, sample(5).bytes);
    expect(second).toMatchObject({ resultCacheHit: true, predictions: first.predictions });
    expect(second.id).not.toBe(first.id);
    expect(await metric(b, 'cache_lookups_total{cache="result",result="hit",level="redis"}')).toBe(
      1,
    );
  });

  it("share predictions: feedback is accepted by the other replica, and only once", async () => {
    const answer = await classify(a, sample(1).bytes);
    const accepted = await feedback(b, answer.id, sample(1).label);
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data?.submitFeedback.windowSize).toBe(1);
    const again = await feedback(a, answer.id, sample(1).label);
    expect(again.errors?.[0]?.extensions?.code).toBe("DUPLICATE_FEEDBACK");
    // The accuracy window is the fleet's: both replicas report the same delta.
    const delta = accepted.data?.submitFeedback.accuracyDelta;
    expect(await metric(a, "vlm_accuracy_delta")).toBe(delta);
    expect(await metric(b, "vlm_accuracy_delta")).toBe(delta);
  });

  it("keep answering from local state while Redis is down, and say so on /ready", async () => {
    await redis.kill();
    for (const replica of [a, b]) {
      await waitForRedis(replica, "unavailable");
      const { status, body } = await readiness(replica);
      expect(status).toBe(200);
      expect(body.ready).toBe(true);
      expect(body.redisLastError).toEqual(expect.any(String));

      const answer = await classify(replica, sample(2).bytes);
      expect(answer).toMatchObject({ vlmUsed: true, fallback: null });
      expect((await feedback(replica, answer.id, sample(2).label)).errors).toBeUndefined();
      expect(
        (await feedback(replica, answer.id, sample(2).label)).errors?.[0]?.extensions?.code,
      ).toBe("DUPLICATE_FEEDBACK");
      expect(await metric(replica, "redis_connected")).toBe(0);
      expect(
        await metric(
          replica,
          'redis_failures_total{operation="prediction_set",cause="disconnected"}',
        ),
      ).toBeGreaterThan(0);
    }
  });

  it("reconnect once Redis is back, and share again", async () => {
    await redis.restart();
    for (const replica of [a, b]) await waitForRedis(replica, "connected");
    expect(await metric(a, "redis_connected")).toBe(1);
    expect(await classify(a, sample(3).bytes)).toMatchObject({ cacheHit: false });
    expect(await classify(b, sample(3).bytes)).toMatchObject({ cacheHit: true });
  });
});
