import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueImage } from "../../loadtest/lib/request-mix.js";
import { buildScenario } from "../../loadtest/lib/scenarios.js";
import { runLoad } from "../../loadtest/node/open-model.ts";
import type { LoadReport } from "../../loadtest/node/report.ts";
import { hasHaproxy, type RunningHaproxy, startHaproxy } from "../../server/testing/haproxy.ts";
import { jsonRequest, multipartRequest } from "../../server/testing/multipart.ts";
import { copyPack } from "../../server/testing/pack-copy.ts";
import { freePort } from "../../server/testing/ports.ts";
import {
  hasRedisServer,
  type RunningRedis,
  startRedisServer,
  warnIfNoRedisServer,
} from "../../server/testing/redis-server.ts";
import { type ServiceProcess, startServiceProcess } from "../../server/testing/service-process.ts";
import { loadEmbeddedSamples, REPO_ROOT } from "../../server/testing/shared-data.ts";
import { CLASSIFY, type ClassificationResult, TEST_PACK } from "../../server/testing/test-app.ts";

/**
 * What a Kubernetes rollout does to the replicas behind a Service, played on loopback: haproxy
 * is the Service (health-checking /ready as the readiness probe does), each replica in turn is
 * taken out of rotation (endpoint removal), given the preStop pause, sent SIGTERM, and replaced
 * by a new process that joins once /ready is 200. A third replica whose pack is corrupt sits in
 * the rotation the whole time. Steady load through haproxy must see no failed request.
 */

warnIfNoRedisServer("the rolling-update test");
if (!hasHaproxy)
  console.warn(
    "skipping the rolling-update test: haproxy is not installed (scripts/install-system-tools.sh installs it)",
  );

// Long enough for two restarts on a busy 2-core machine (a replacement took 17-32 s there).
const RATE = 10;
const DURATION_S = 90;
/** Load before the first replica is taken out. */
const ROLL_AFTER_MS = 3000;
/** Shorter than the manifests' 5 s: haproxy stops sending to a drained server at once. */
const PRE_STOP_MS = 1000;
const SUBMIT = `mutation Feedback($id: ID!, $label: String!) {
  submitFeedback(id: $id, label: $label) { outcome }
}`;

const samples = loadEmbeddedSamples();

async function classify(url: string, bytes: Uint8Array, topK = 5) {
  const response = await fetch(
    multipartRequest(
      CLASSIFY,
      { image: null, options: { vlm: "FORCE", topK } },
      [{ path: "variables.image", bytes }],
      `${url}/graphql`,
    ),
  );
  const body = (await response.json()) as { data?: { classify: ClassificationResult } };
  return body.data?.classify as ClassificationResult;
}

async function feedback(url: string, id: string, label: string) {
  const response = await fetch(jsonRequest(SUBMIT, { id, label }, `${url}/graphql`));
  return (await response.json()) as {
    data?: { submitFeedback: { outcome: string } };
    errors?: { extensions?: { code?: string } }[];
  };
}

/** A counter summed over its series in a replica's /metrics. */
async function counterSum(replica: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

describe.skipIf(!hasRedisServer || !hasHaproxy)("a rolling update behind a load balancer", () => {
  let redis: RunningRedis;
  let cacheDir: string;
  let lb: RunningHaproxy;
  let corruptPack: Awaited<ReturnType<typeof copyPack>>;
  let env: Record<string, string>;
  const ports: number[] = [];
  const replicas: ServiceProcess[] = [];
  // Sent to the first replica before the roll; asked about on the new replicas after it.
  const embedded = uniqueImage(samples[0]?.bytes as Uint8Array, `rolling-${Date.now()}`);
  let answerBeforeRoll: ClassificationResult;

  beforeAll(async () => {
    redis = await startRedisServer();
    cacheDir = await mkdtemp(join(tmpdir(), "rolling-"));
    corruptPack = await copyPack(join(REPO_ROOT, "models", TEST_PACK));
    await writeFile(join(corruptPack.dir, "cnn/model.onnx"), "not an onnx model");
    env = { MODEL_PACK: TEST_PACK, REDIS_URL: redis.url, CACHE_DIR: cacheDir };
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    replicas.push(
      ...(await Promise.all(
        [0, 1].map((i) => startServiceProcess({ ...env, PORT: String(ports[i]) })),
      )),
    );
    lb = await startHaproxy({
      servers: { r0: ports[0] as number, r1: ports[1] as number, broken: ports[2] as number },
      checkPath: "/ready",
    });
    await lb.waitForStatus("broken", "DOWN");
    answerBeforeRoll = await classify(replicas[0]?.url as string, embedded);
    expect(answerBeforeRoll).toMatchObject({ vlmUsed: true, cacheHit: false });
  }, 180_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all(replicas.map((replica) => replica.stop()));
    await redis?.kill();
    await corruptPack?.remove();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it("serves steady load through two restarts without a failed request", async () => {
    const loadStarted = performance.now();
    const load = runLoad({
      scenario: buildScenario("steady", { rate: RATE, durationS: DURATION_S }),
      target: `${lb.url}/graphql`,
    });
    // The corrupt replica starts while the load runs: it must never be ready.
    const broken = startServiceProcess(
      { ...env, MODEL_PACK: corruptPack.dir, PORT: String(ports[2]) },
      30_000,
    ).then(
      async (replica) => {
        await replica.stop();
        return "ready";
      },
      (error: Error) => error.message,
    );

    await sleep(ROLL_AFTER_MS);
    const roll: { replica: string; stopMs: number; startMs: number }[] = [];
    for (const i of [0, 1]) {
      const name = `r${i}`;
      const old = replicas[i] as ServiceProcess;
      await lb.setState(name, "drain");
      await sleep(PRE_STOP_MS);
      const stopping = performance.now();
      await old.stop();
      const starting = performance.now();
      replicas[i] = await startServiceProcess({ ...env, PORT: String(ports[i]) });
      expect(replicas[i]?.pid).not.toBe(old.pid);
      await lb.setState(name, "ready");
      await lb.waitForStatus(name, "UP");
      roll.push({
        replica: name,
        stopMs: Math.round(starting - stopping),
        startMs: Math.round(performance.now() - starting),
      });
    }
    const rollEndedS = (performance.now() - loadStarted) / 1000;
    const report: LoadReport = await load;
    const servers = await lb.servers();

    console.log(
      [
        `rolling update (${cpus()[0]?.model}, ${cpus().length} cores), ${RATE} req/s for ${DURATION_S} s through haproxy:`,
        `  roll from ${(ROLL_AFTER_MS / 1000).toFixed(1)} s to ${rollEndedS.toFixed(1)} s: ${roll.map((r) => `${r.replica} drained and stopped in ${r.stopMs} ms, replacement ready and UP in ${r.startMs} ms`).join("; ")}`,
        `  sent ${report.sent} of ${report.scheduled}, achieved ${report.achievedRate.toFixed(1)} req/s, latency p50 ${report.latencyMs.p50.toFixed(1)} ms, p95 ${report.latencyMs.p95.toFixed(1)} ms, p99 ${report.latencyMs.p99.toFixed(1)} ms, max ${report.latencyMs.max.toFixed(1)} ms`,
        `  errors: http ${report.errors.http}, graphql ${report.errors.graphql}, not sent ${report.errors.notSent} ${report.errors.examples.join(" | ")}`,
        `  requests per server: ${Object.entries(servers)
          .map(([name, s]) => `${name} ${s.sessions} (${s.status})`)
          .join(", ")}`,
      ].join("\n"),
    );

    expect(rollEndedS, "the roll must finish while the load still runs").toBeLessThan(DURATION_S);
    expect(report.errors).toEqual({ http: 0, graphql: 0, notSent: 0, examples: [] });
    expect(report.sent).toBe(report.scheduled);
    expect(servers.r0?.sessions).toBeGreaterThan(0);
    expect(servers.r1?.sessions).toBeGreaterThan(0);
    expect(await broken).toContain("did not become ready");
    expect(servers.broken).toEqual({ status: "DOWN", sessions: 0 });
  }, 180_000);

  it("feedback for an answer from before the roll counts once, on either new replica", async () => {
    const [a, b] = replicas as [ServiceProcess, ServiceProcess];
    const label = samples[0]?.label as string;
    const accepted = await feedback(b.url, answerBeforeRoll.id, label);
    expect(accepted.errors).toBeUndefined();
    for (const url of [a.url, b.url, lb.url]) {
      const again = await feedback(url, answerBeforeRoll.id, label);
      expect(again.errors?.[0]?.extensions?.code).toBe("DUPLICATE_FEEDBACK");
    }
    expect((await counterSum(a, "feedback_total")) + (await counterSum(b, "feedback_total"))).toBe(
      1,
    );
  });

  it("an image the first replica embedded before the roll is a cache hit on the second", async () => {
    const answer = await classify((replicas[1] as ServiceProcess).url, embedded, 3);
    expect(answer).toMatchObject({ vlmUsed: true, cacheHit: true, resultCacheHit: false });
    expect(answer.vlm?.predictions).toEqual(answerBeforeRoll.vlm?.predictions.slice(0, 3));
  });
});
