import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyEmbeddedPack } from "../server/testing/legacy-pack.ts";
import { type ServiceProcess, startServiceProcess } from "../server/testing/service-process.ts";
import {
  CLASSIFY,
  type ClassificationResult,
  createFakeTestApp,
  createTestApp,
  listen,
} from "../server/testing/test-app.ts";
import { multipartBody } from "./lib/multipart.js";
import {
  CLASSIFY_QUERY,
  HOT_SET,
  MIX,
  operationsFor,
  planRequest,
  SAMPLES,
  uniqueImage,
} from "./lib/request-mix.js";
import {
  buildScenario,
  expectedRequests,
  profileDurationS,
  SCENARIO_NAMES,
} from "./lib/scenarios.js";
import { summaryFiles } from "./lib/summary.js";
import { arrivalTimesMs } from "./node/arrivals.ts";
import { runLoad } from "./node/open-model.ts";
import { formatReport } from "./node/report.ts";
import { loadSamples } from "./node/send-classify.ts";

const samples = await loadSamples();

describe("load test definitions", () => {
  it("schedules the integral of each profile's rate, in order, within its duration", () => {
    for (const name of SCENARIO_NAMES) {
      const { profile } = buildScenario(name);
      const times = [...arrivalTimesMs(profile)];
      expect(Math.abs(times.length - expectedRequests(profile)), name).toBeLessThanOrEqual(1);
      expect(
        times.every((t, i) => i === 0 || t >= (times[i - 1] ?? 0)),
        name,
      ).toBe(true);
      expect(times.at(-1) ?? 0, name).toBeLessThan(profileDurationS(profile) * 1000);
    }
  });

  it("steps the burst up to 300 req/s and back down", () => {
    const { profile } = buildScenario("burst");
    const perSecond = new Map<number, number>();
    for (const t of arrivalTimesMs(profile)) {
      const second = Math.floor(t / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    // Mid-hold seconds of each step: 100, 200, 300, 200, 100.
    expect([10, 32, 54, 76, 98].map((s) => perSecond.get(s))).toEqual([100, 200, 300, 200, 100]);
  });

  it("applies overrides: rate, duration, latency targets", () => {
    const scenario = buildScenario("burst", { rate: 150, durationS: 54, p95Ms: 80, p99Ms: 200 });
    expect(Math.max(...scenario.profile.stages.map((s) => s.target))).toBe(150);
    expect(profileDurationS(scenario.profile)).toBeCloseTo(54);
    expect(scenario.thresholds).toEqual({ p95Ms: 80, p99Ms: 200, maxErrorRate: 0.001 });
    expect(() => buildScenario("steady", { rate: 0 })).toThrow(/rate must be a positive number/);
  });

  it("mixes ~30% CLIP-routed samples and ~20% hot repeats, the same on every run", () => {
    const plans = Array.from({ length: 20_000 }, (_, i) => planRequest(i));
    const share = (pick: (p: (typeof plans)[number]) => boolean) =>
      plans.filter(pick).length / plans.length;
    expect(share((p) => p.clip)).toBeCloseTo(MIX.clipShare, 1);
    expect(share((p) => p.hot)).toBeCloseTo(MIX.hotShare, 1);
    expect(plans.filter((p) => p.hot).every((p) => HOT_SET.includes(p.file))).toBe(true);
    const clipFiles = new Set(SAMPLES.filter((s) => s.clip).map((s) => s.file));
    expect(plans.every((p) => p.clip === clipFiles.has(p.file))).toBe(true);
    expect(planRequest(1234)).toEqual(plans[1234]);
  });

  it("makes an image unique without changing a pixel", async () => {
    const png = samples.get("t10k-00004_shirt.png") as Uint8Array;
    const unique = uniqueImage(png, "run-42");
    expect(Buffer.from(unique).equals(Buffer.from(png))).toBe(false);
    const pixels = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();
    expect((await pixels(unique)).equals(await pixels(png))).toBe(true);
  });

  it("type-checks the k6 scripts against @types/k6", () => {
    // Throws with tsc's diagnostics on stdout when a script does not type-check.
    execFileSync("npx", ["tsc", "-p", "loadtest", "--noEmit"], { encoding: "utf8" });
  });

  it.each(SCENARIO_NAMES)("%s.js waits for /ready and writes its own summary", (name) => {
    const script = readFileSync(new URL(`${name}.js`, import.meta.url), "utf8");
    expect(script).toMatch(/^export \{ setup \} from "\.\/lib\/lifecycle\.js";$/m);
    expect(script).toContain(`export const options = optionsFor("${name}");`);
    expect(script).toContain(`export const handleSummary = summaryFor("${name}");`);
  });
});

describe("the k6 summary", () => {
  // As k6 hands it to handleSummary: one trend, one rate, one counter; one threshold failed.
  const data = {
    state: { testRunDurationMs: 60_512 },
    metrics: {
      "http_req_duration{name:classify}": {
        type: "trend" as const,
        contains: "time",
        values: { avg: 21.5, med: 18.25, "p(95)": 61.125, max: 1540 },
        thresholds: { "p(95)<50": { ok: false }, "p(99)<100": { ok: true } },
      },
      classify_errors: {
        type: "rate" as const,
        values: { rate: 0.0005, passes: 3, fails: 5997 },
        thresholds: { "rate<0.001": { ok: true } },
      },
      iterations: { type: "counter" as const, values: { count: 6000, rate: 99.15 } },
    },
  };

  it("goes to stdout, and as JSON and text into the summary folder", () => {
    const files = summaryFiles("steady", data, "/results/");
    expect(Object.keys(files).sort()).toEqual([
      "/results/steady-summary.json",
      "/results/steady-summary.txt",
      "stdout",
    ]);
    expect(JSON.parse(files["/results/steady-summary.json"] ?? "")).toEqual(data);
    expect(files["/results/steady-summary.txt"]).toBe(files.stdout);
  });

  it("gives the verdict, each threshold, and each metric in its unit", () => {
    const lines = (summaryFiles("steady", data, "/results").stdout ?? "").split("\n");
    expect(lines[0]).toBe("k6 steady: 60.5 s, 1 threshold(s) FAILED");
    expect(lines).toContain("  FAIL  http_req_duration{name:classify}: p(95)<50");
    expect(lines).toContain("  pass  classify_errors: rate<0.001");
    const metric = (name: string) => lines.find((line) => line.trimStart().startsWith(name));
    expect(metric("http_req_duration")).toMatch(
      /avg=21\.50 ms med=18\.25 ms p\(95\)=61\.13 ms max=1\.54 s$/,
    );
    expect(metric("classify_errors")).toMatch(/0\.05% \(3 of 6000\)$/);
    expect(metric("iterations")).toMatch(/6000 \(99\.15\/s\)$/);
  });
});

describe("the open-model generator", () => {
  /**
   * A stand-in service for fault injection: answers `body` after `delayMs`, or, with
   * `holdUntilReceived`, holds every answer until that many requests have arrived.
   */
  async function fakeService(
    body: unknown,
    options: { delayMs?: number; holdUntilReceived?: number } = {},
  ) {
    const seen = { received: 0, answered: 0, peakOutstanding: 0 };
    const held: (() => void)[] = [];
    const server = await listen((request, response) => {
      request.resume();
      request.on("end", () => {
        seen.received++;
        seen.peakOutstanding = Math.max(seen.peakOutstanding, seen.received - seen.answered);
        const reply = () => {
          seen.answered++;
          response.setHeader("content-type", "application/json");
          response.end(JSON.stringify(body));
        };
        const { holdUntilReceived } = options;
        if (holdUntilReceived === undefined) {
          setTimeout(reply, options.delayMs ?? 0);
          return;
        }
        held.push(reply);
        if (seen.received >= holdUntilReceived) for (const release of held.splice(0)) release();
      });
    });
    return { target: `${server.url}/graphql`, seen, close: server.close };
  }
  const answer = { data: { classify: { vlmUsed: true, cacheHit: false, fallback: null } } };

  it("sends on schedule while earlier requests are still outstanding", async () => {
    // No answer leaves the service before the last request has arrived: a closed loop, which
    // waits for each answer before sending the next, would never get past the first.
    const held = await fakeService(answer, { holdUntilReceived: 20 });
    try {
      const report = await runLoad({
        scenario: buildScenario("smoke", { rate: 20, durationS: 1 }),
        target: held.target,
        samples,
      });
      expect(report.sent).toBe(20);
      expect(report.errorRate).toBe(0);
      expect(held.seen.peakOutstanding).toBe(20);
      expect(held.seen.answered).toBe(20);
    } finally {
      await held.close();
    }
  });

  it("counts arrivals over the in-flight cap and GraphQL errors as failures", async () => {
    // Answers take 300 ms or more: at 20 arrivals/s, two in flight leave most arrivals no room.
    const slow = await fakeService(answer, { delayMs: 300 });
    try {
      const report = await runLoad({
        scenario: buildScenario("smoke", { rate: 20, durationS: 1 }),
        target: slow.target,
        samples,
        maxInFlight: 2,
      });
      expect(report.overflow).toBeGreaterThan(10);
      expect(report.errors.notSent).toBe(report.overflow);
      expect(report.errorRate).toBeCloseTo(report.overflow / 20);
      expect(report.passed).toBe(false);
    } finally {
      await slow.close();
    }

    const failing = await fakeService({
      errors: [{ message: "no", extensions: { code: "X" } }],
    });
    try {
      const report = await runLoad({
        scenario: buildScenario("smoke", { rate: 20, durationS: 0.5 }),
        target: failing.target,
        samples,
      });
      expect(report.errors).toMatchObject({ http: 0, graphql: 10, notSent: 0 });
      expect(report.httpFailedRate).toBe(0);
      expect(report.errorRate).toBe(1);
      expect(report.errors.examples).toEqual(["HTTP 200, X: no"]);
      expect(report.thresholds.find((t) => t.name === "classify_errors rate")?.passed).toBe(false);
    } finally {
      await failing.close();
    }
  });
});

describe("the mix's routing on the real service", () => {
  let service: Awaited<ReturnType<typeof createTestApp>>;
  let legacy: Awaited<ReturnType<typeof legacyEmbeddedPack>>;

  beforeAll(async () => {
    // The mix's CLIP flags are the legacy rule's routing (see legacyEmbeddedPack).
    legacy = await legacyEmbeddedPack();
    service = await createTestApp({
      MODEL_PACK: legacy.dir,
      // A CLIP timeout would turn answers into fallbacks and skew the CLIP share checked here.
      VLM_TIMEOUT_MS: "30000",
      // The machine is shared with another test worker. onnxruntime's idle intra-op threads
      // spin, and on 28×28 images a second one buys nothing but a core taken from both.
      ORT_INTRA_OP_THREADS: "1",
    });
  });

  afterAll(async () => {
    await legacy?.remove();
  });

  it("routes each sample to CLIP exactly as the mix says", async () => {
    const routed: Record<string, boolean> = {};
    for (const { file } of SAMPLES) {
      const answer = await service.upload<{ classify: ClassificationResult }>(
        CLASSIFY,
        { image: null },
        [{ path: "variables.image", bytes: samples.get(file) as Uint8Array, type: "image/png" }],
      );
      routed[file] = answer.data?.classify.vlmReason !== null;
    }
    expect(routed).toEqual(Object.fromEntries(SAMPLES.map((s) => [s.file, s.clip])));
  });
});

describe("load requests against the service, on fake models", () => {
  // What is checked here is the request format and routing options the load test sends, not
  // the answers: the fake CNN says "cat" for every image, sure of it.
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  let target: string;
  beforeAll(async () => {
    server = await listen(createFakeTestApp().app);
    target = `${server.url}/graphql`;
  });
  afterAll(() => server?.close());

  it("answers the body k6 sends", async () => {
    const { body, contentType } = multipartBody(
      [
        ["operations", JSON.stringify({ query: CLASSIFY_QUERY, variables: { image: null } })],
        ["map", JSON.stringify({ 0: ["variables.image"] })],
      ],
      [
        {
          name: "0",
          filename: "shirt.png",
          contentType: "image/png",
          bytes: samples.get("t10k-00004_shirt.png") as Uint8Array,
        },
      ],
    );
    const response = await fetch(target, {
      method: "POST",
      body,
      headers: { "content-type": contentType, "graphql-preflight": "1" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      data: { classify: { top: { label: "cat" }, vlmUsed: false } },
    });
  });

  it("asks for CLIP by request under explicit routing, so the share holds on any pack", async () => {
    const plans = Array.from({ length: 24 }, (_, index) => planRequest(index));
    expect(new Set(plans.map((plan) => plan.clip))).toEqual(new Set([true, false]));
    for (const plan of plans) {
      const { body, contentType } = multipartBody(
        [
          ["operations", operationsFor(plan, "explicit")],
          ["map", JSON.stringify({ 0: ["variables.image"] })],
        ],
        [
          {
            name: "0",
            filename: plan.file,
            contentType: "image/png",
            bytes: samples.get(plan.file) as Uint8Array,
          },
        ],
      );
      const response = await fetch(target, {
        method: "POST",
        body,
        headers: { "content-type": contentType, "graphql-preflight": "1" },
      });
      const answer = (await response.json()) as { data: { classify: ClassificationResult } };
      expect(answer.data.classify.vlmUsed, plan.file).toBe(plan.clip);
      expect(answer.data.classify.vlmReason, plan.file).toBe(plan.clip ? "FORCED" : null);
    }
  });
});

describe("the 100 req/s smoke, against the service as its own process", () => {
  let service: ServiceProcess | undefined;
  let legacy: Awaited<ReturnType<typeof legacyEmbeddedPack>> | undefined;
  afterAll(async () => {
    await service?.stop();
    await legacy?.remove();
  });

  const RATE = 100;
  const DURATION_S = 5;

  // No latency or rate assertion: CI machines are shared, and the latency targets and the
  // achieved rate are checked by the runner's own thresholds against a standalone service (see
  // BENCHMARKS.md); the report printed here shows them. What must hold anywhere: every request
  // sent and answered, without errors, with the planned mix.
  it(`sustains ${RATE} req/s for ${DURATION_S} s without errors, with the planned mix`, async () => {
    legacy = await legacyEmbeddedPack();
    service = await startServiceProcess({
      MODEL_PACK: legacy.dir,
      VLM_TIMEOUT_MS: "30000",
      ORT_INTRA_OP_THREADS: "1",
    });
    const target = `${service.url}/graphql`;
    // Not measured: a first second that compiles the hot paths and fills the connection pool.
    await runLoad({
      scenario: buildScenario("smoke", { rate: RATE, durationS: 1 }),
      target,
      samples,
    });
    const report = await runLoad({
      scenario: buildScenario("smoke", { rate: RATE, durationS: DURATION_S }),
      target,
      samples,
    });
    const printed = formatReport(report);
    console.log(printed);
    expect(report.scheduled, printed).toBe(RATE * DURATION_S);
    expect(report.errors, printed).toMatchObject({ http: 0, graphql: 0, notSent: 0 });
    expect(report.errorRate, printed).toBe(0);
    expect(report.sent, printed).toBe(RATE * DURATION_S);
    expect(report.clipShare, printed).toBeGreaterThan(0.15);
    expect(report.clipShare, printed).toBeLessThan(0.5);
    expect(report.cacheHitShare, printed).toBeGreaterThan(0);
  }, 180_000);
});
