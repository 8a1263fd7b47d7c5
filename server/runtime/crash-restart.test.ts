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
import { CLASSIFY, TEST_PACK } from "../testing/test-app.ts";

warnIfNoRedisServer("the crash-and-restart test (two replicas sharing Redis)");

const SUBMIT = `mutation Feedback($id: ID!, $label: String!) {
  submitFeedback(id: $id, label: $label) { outcome windowSize }
}`;
/** Requests each load loop keeps in flight one after another, per replica. */
const LOOPS_PER_REPLICA = 3;

const samples = loadEmbeddedSamples().slice(0, 8);

interface Answer {
  id: string;
  top: { label: string };
}

/** What a request in flight saw: an answer (checked against the expected one) or no answer. */
type Seen = { kind: "answer"; answer: Answer; sample: number } | { kind: "error"; detail: string };

async function classify(replica: ServiceProcess, sample: number): Promise<Seen> {
  try {
    const response = await fetch(
      multipartRequest(
        CLASSIFY,
        { image: null, options: { vlm: "OFF" } },
        [{ path: "variables.image", bytes: (samples[sample] as { bytes: Buffer }).bytes }],
        `${replica.url}/graphql`,
      ),
    );
    const body = (await response.json()) as { data?: { classify: Answer }; errors?: unknown[] };
    if (!body.data?.classify)
      return { kind: "error", detail: `HTTP ${response.status} ${JSON.stringify(body.errors)}` };
    return { kind: "answer", answer: body.data.classify, sample };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { kind: "error", detail: cause?.code ?? String(error) };
  }
}

async function feedback(replica: ServiceProcess, id: string, label: string) {
  const response = await fetch(jsonRequest(SUBMIT, { id, label }, `${replica.url}/graphql`));
  return (await response.json()) as {
    data?: { submitFeedback: { windowSize: number } };
    errors?: { extensions?: { code?: string } }[];
  };
}

describe.skipIf(!hasRedisServer)("a replica killed under load (two replicas, one Redis)", () => {
  let redis: RunningRedis;
  let cacheDir: string;
  let env: Record<string, string>;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let restarted: ServiceProcess | undefined;
  let coldStartMs = 0;

  beforeAll(async () => {
    redis = await startRedisServer();
    cacheDir = await mkdtemp(join(tmpdir(), "crash-restart-"));
    // The result cache is off so every request runs the models: a wrong answer could not hide
    // behind a cached right one. Redis commands may take long on a loaded test machine: a
    // replica that gives up on Redis falls back to its own memory, which is not what this tests.
    env = {
      MODEL_PACK: TEST_PACK,
      REDIS_URL: redis.url,
      CACHE_DIR: cacheDir,
      RESULT_CACHE_BYTES: "0",
      REDIS_COMMAND_TIMEOUT_MS: "5000",
    };
    const started = performance.now();
    a = await startServiceProcess(env);
    coldStartMs = performance.now() - started;
    b = await startServiceProcess(env);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), restarted?.stop()]);
    await redis?.kill();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it("keeps the other answering, is ready again after a cold start, and loses nothing in Redis", async () => {
    // What each sample's answer must be (the models are deterministic), from the survivor.
    const expected = await Promise.all(
      samples.map(async (_, i) => {
        const seen = await classify(b, i);
        if (seen.kind !== "answer") throw new Error(`no answer: ${seen.detail}`);
        return seen.answer.top.label;
      }),
    );
    // Answers from the replica about to die, half of them with feedback already given.
    const before: Answer[] = [];
    for (let i = 0; i < samples.length; i++) {
      const seen = await classify(a, i);
      if (seen.kind !== "answer") throw new Error(`no answer from a: ${seen.detail}`);
      before.push(seen.answer);
    }
    const given = before.slice(0, samples.length / 2);
    let windowSize = 0;
    for (const [i, answer] of given.entries()) {
      const result = await feedback(a, answer.id, (samples[i] as { label: string }).label);
      windowSize = result.data?.submitFeedback.windowSize ?? Number.NaN;
    }
    expect(windowSize).toBe(given.length);

    // Load on both replicas; a is killed while requests to it are in flight.
    const seen: Record<"a" | "b", Seen[]> = { a: [], b: [] };
    let running = true;
    const loop = async (name: "a" | "b", replica: ServiceProcess, offset: number) => {
      for (let n = offset; running; n++) {
        seen[name].push(await classify(replica, n % samples.length));
        if (name === "a" && seen.a.at(-1)?.kind === "error") return;
      }
    };
    const loops = [
      ...Array.from({ length: LOOPS_PER_REPLICA }, (_, i) => loop("a", a, i)),
      ...Array.from({ length: LOOPS_PER_REPLICA }, (_, i) => loop("b", b, i)),
    ];
    await new Promise((resolve) => setTimeout(resolve, 1500));
    process.kill(a.pid as number, "SIGKILL");
    const killedAt = performance.now();
    const answeredByBBefore = seen.b.length;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const answeredByBAfterKill = seen.b.length - answeredByBBefore;

    const restartedAt = performance.now();
    restarted = await startServiceProcess(env);
    const restartMs = performance.now() - restartedAt;
    running = false;
    await Promise.all(loops);
    const ready = (await (await fetch(`${restarted.url}/ready`)).json()) as {
      warmUpSeconds: number;
    };

    const answersToA = seen.a.filter((s) => s.kind === "answer");
    const failuresAtA = seen.a.filter((s) => s.kind === "error");
    console.log(
      [
        `killed a after ${seen.a.length} requests to it: ${answersToA.length} answered, ${failuresAtA.length} in flight got ${[...new Set(failuresAtA.map((s) => (s as { detail: string }).detail))].join(", ")}`,
        `b answered ${answeredByBAfterKill} requests in the 2 s after the kill, ${seen.b.filter((s) => s.kind === "error").length} failed in all`,
        `restart to ready: ${(restartMs / 1000).toFixed(1)} s (cold start ${(coldStartMs / 1000).toFixed(1)} s; warm-up ${ready.warmUpSeconds.toFixed(2)} s), ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
      ].join("\n"),
    );

    // The survivor kept answering, every time, with the right answer.
    expect(answeredByBAfterKill).toBeGreaterThan(0);
    expect(seen.b.every((s) => s.kind === "answer")).toBe(true);
    // Requests in flight at the kill saw a connection error, never a wrong answer.
    expect(failuresAtA.length).toBeGreaterThan(0);
    expect(failuresAtA.every((s) => s.kind === "error" && !s.detail.startsWith("HTTP"))).toBe(true);
    for (const s of [...seen.a, ...seen.b]) {
      if (s.kind === "answer") expect(s.answer.top.label).toBe(expected[s.sample]);
    }
    // The restart is a cold start (load, warm-up, a real inference), no slower than the first.
    expect(restartMs).toBeLessThan(3 * coldStartMs + 10_000);

    // Nothing the dead replica stored is lost: its answers take feedback on the others, the
    // feedback it took counts once (a second one is a duplicate), and the window kept it.
    for (const [i, answer] of given.entries()) {
      const again = await feedback(restarted, answer.id, (samples[i] as { label: string }).label);
      expect(again.errors?.[0]?.extensions?.code).toBe("DUPLICATE_FEEDBACK");
    }
    const rest = [
      ...before.slice(given.length),
      ...answersToA.map((s) => (s as { answer: Answer }).answer),
    ];
    for (const [n, answer] of rest.entries()) {
      const replica = n % 2 ? b : restarted;
      const result = await feedback(replica, answer.id, expected[0] as string);
      expect(result.errors).toBeUndefined();
      windowSize = result.data?.submitFeedback.windowSize ?? Number.NaN;
    }
    expect(windowSize).toBe(Math.min(given.length + rest.length, 500));
  }, 240_000);
});
