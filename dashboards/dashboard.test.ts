import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../schema/index.ts";
import { hashSecret } from "../server/auth/api-keys.ts";
import { METRICS } from "../server/telemetry/metric-names.ts";
import { legacyEmbeddedPack } from "../server/testing/legacy-pack.ts";
import { jsonRequest, multipartRequest, type UploadPart } from "../server/testing/multipart.ts";
import {
  hasPrometheus,
  type RunningPrometheus,
  startPrometheus,
} from "../server/testing/prometheus.ts";
import {
  hasRedisServer,
  type RunningRedis,
  startRedisServer,
} from "../server/testing/redis-server.ts";
import {
  EMBEDDED_SAMPLES,
  hasSharedData,
  IMAGENET_MINI_PACK,
  IMAGENET_SAMPLES,
  parseTsv,
  REPO_ROOT,
} from "../server/testing/shared-data.ts";
import {
  CLASSIFY,
  CLASSIFY_BATCH,
  type ClassificationResult,
  createTestApp,
  type GraphQLResponse,
  type TestApp,
} from "../server/testing/test-app.ts";
import { dashboardQueries } from "./dashboard-queries.ts";

const JOB = "vision-classify";
// The API Keys row needs keys: every request of the test sends this one.
const SECRET = "dashboard-test-secret";
const AUTH = { authorization: `Bearer ${SECRET}` };
const API_KEYS = `dashboard:${hashSecret(SECRET)}:classify+classify:force-vlm+feedback:1000/1000`;
const DASHBOARD = join(REPO_ROOT, "dashboards/rendered/vision-classify.json");

interface PackChoice {
  env: Record<string, string>;
  /** A folder of photos with a labels.tsv; `labelColumn` holds the pack's label of each. */
  samples: string;
  labelColumn: string;
}

// The embedded pack once it is built, else the reference pack beside a development checkout.
const hasEmbeddedPack =
  existsSync(join(REPO_ROOT, "models/fashion-mnist/pack.json")) &&
  existsSync(join(EMBEDDED_SAMPLES, "labels.tsv"));
const pack: PackChoice | null = hasEmbeddedPack
  ? { env: {}, samples: EMBEDDED_SAMPLES, labelColumn: "label" }
  : hasSharedData
    ? {
        env: { MODEL_PACK: IMAGENET_MINI_PACK },
        samples: IMAGENET_SAMPLES,
        labelColumn: "clip_class_name",
      }
    : null;
// The schema's own field map: printSchemaSdl() trips over two copies of graphql under vitest.
const hasFeedbackApi = "submitFeedback" in (schema.getMutationType()?.getFields() ?? {});

// Panels that cannot have data yet, by why. Emptied automatically once the reason is gone.
const NO_DATA_UNTIL_SUBMIT_FEEDBACK_EXISTS = hasFeedbackApi ? [] : ["Feedback by outcome"];

if (!hasPrometheus) {
  console.warn(
    "skipping the dashboard tests: `prometheus` is not installed (scripts/install-system-tools.sh installs it)",
  );
} else if (!pack) {
  console.warn("skipping the dashboard tests: no model pack (models/fashion-mnist or ../shared)");
} else if (!hasRedisServer) {
  console.warn(
    "skipping the dashboard tests: `redis-server` is not installed, and the Redis row needs it (scripts/install-system-tools.sh installs it)",
  );
}

/** What the answers said, to compare with what the service counted. */
const said = {
  answered: 0,
  cacheHits: 0,
  reasons: new Map<string, number>(),
  fallbacks: new Map<string, number>(),
  errors: new Map<string, number>(),
  feedback: new Map<string, number>(),
};
const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

describe.skipIf(!hasPrometheus || !pack || !hasRedisServer)(
  "the dashboard against a real Prometheus",
  () => {
    let service: TestApp;
    let server: Server;
    let legacy: Awaited<ReturnType<typeof legacyEmbeddedPack>> | null = null;
    let prometheus: RunningPrometheus | undefined;
    let redis: RunningRedis | undefined;
    let endpoint = "";
    let trafficStarted = 0;
    const samples = pack
      ? parseTsv(readFileSync(join(pack.samples, "labels.tsv"), "utf8")).map((row) => ({
          label: row[pack.labelColumn] as string,
          part: (path: string): UploadPart => ({
            path,
            bytes: readFileSync(join(pack.samples, row.file as string)),
            filename: row.file,
          }),
        }))
      : [];

    async function send<T>(request: Request): Promise<GraphQLResponse<T>> {
      const response = await fetch(request);
      return {
        status: response.status,
        headers: response.headers,
        ...((await response.json()) as object),
      };
    }

    /** One answer per distinct image of a request: duplicates are scored (and counted) once. */
    function record(answers: (ClassificationResult | null | undefined)[]) {
      const seen = new Set<string>();
      for (const answer of answers) {
        if (!answer?.id || seen.has(answer.image.sha256)) continue;
        seen.add(answer.image.sha256);
        said.answered++;
        if (answer.cacheHit) said.cacheHits++;
        if (answer.vlmReason) add(said.reasons, answer.vlmReason.toLowerCase());
        if (answer.fallback) add(said.fallbacks, answer.fallback.toLowerCase());
      }
      return answers;
    }

    async function classify(index: number, options: Record<string, unknown>) {
      const sample = samples[index % samples.length];
      if (!sample) throw new Error("no samples");
      const request = multipartRequest(
        CLASSIFY,
        { image: null, options },
        [sample.part("variables.image")],
        endpoint,
        AUTH,
      );
      const response = await send<{ classify: ClassificationResult }>(request);
      expect(response.errors).toBeUndefined();
      const [answer] = record([response.data?.classify]);
      return { answer: answer as ClassificationResult, label: sample.label };
    }

    async function feedback(id: string, label: string) {
      const response = await send<{ submitFeedback: { outcome: string } }>(
        jsonRequest(
          "mutation Feedback($id: ID!, $label: String!) { submitFeedback(id: $id, label: $label) { outcome } }",
          { id, label },
          endpoint,
          AUTH,
        ),
      );
      expect(response.errors).toBeUndefined();
      add(said.feedback, (response.data?.submitFeedback.outcome ?? "").toLowerCase());
    }

    /** Every kind of traffic the dashboard shows, on images no earlier phase used. */
    async function trafficPhase(first: number) {
      const scored = [];
      for (let i = 0; i < 4; i++) scored.push(await classify(first + i, { vlm: "AUTO" }));
      // The same image twice: the second CLIP call is an embedding-cache hit.
      scored.push(await classify(first + 4, { vlm: "FORCE" }));
      scored.push(await classify(first + 4, { vlm: "FORCE" }));
      for (const i of [5, 6]) scored.push(await classify(first + i, { vlm: "OFF" }));
      const custom = await classify(first + 7, {
        labels: ["a dog", "a bird", "a car", "a shoe"],
      });

      // Four new images at once against a CLIP queue of one: some fall back as OVERLOADED.
      // Plus a duplicate (answered, scored once) and a file that is not an image (its own error).
      const notAnImage = new TextEncoder().encode("%PDF-1.4 not an image");
      const batch = [8, 9, 10, 11, 8].map((i, n) => {
        const sample = samples[(first + i) % samples.length];
        return sample?.part(`variables.images.${n}`) as UploadPart;
      });
      batch.push({ path: "variables.images.5", bytes: notAnImage });
      const request = multipartRequest(
        CLASSIFY_BATCH,
        { images: batch.map(() => null), options: { vlm: "FORCE" } },
        batch,
        endpoint,
        AUTH,
      );
      const answers = await send<{ classifyBatch: (ClassificationResult & { code?: string })[] }>(
        request,
      );
      expect(answers.errors).toBeUndefined();
      const items = answers.data?.classifyBatch ?? [];
      record(items);
      const codes = items.flatMap((item) => (item.code ? [item.code] : []));
      expect(codes).toHaveLength(1);
      for (const code of codes) add(said.errors, code.toLowerCase());

      // The same file alone fails the whole request: a GraphQL error, counted under the code
      // its batch twin got.
      const refused = await send(
        multipartRequest(
          CLASSIFY,
          { image: null },
          [{ path: "variables.image", bytes: notAnImage }],
          endpoint,
          AUTH,
        ),
      );
      expect(refused.errors).toHaveLength(1);
      add(said.errors, (codes[0] as string).toLowerCase());

      if (hasFeedbackApi) {
        for (const { answer, label } of scored) await feedback(answer.id, label);
        await feedback(custom.answer.id, "a shoe");
      }

      // Without the key: refused before it runs (Rejections by reason).
      const anonymous = await send(
        multipartRequest(
          CLASSIFY,
          { image: null },
          [samples[first]?.part("variables.image") as UploadPart],
          endpoint,
        ),
      );
      expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }

    beforeAll(async () => {
      // Under the legacy rule, so AUTO routes some images and every reason is said.
      legacy = hasEmbeddedPack ? await legacyEmbeddedPack() : null;
      redis = await startRedisServer();
      service = await createTestApp({
        API_KEYS,
        REDIS_URL: redis.url,
        ...pack?.env,
        ...(legacy ? { MODEL_PACK: legacy.dir } : {}),
        // Generous, so a busy machine cannot turn answers into TIMEOUT fallbacks.
        VLM_TIMEOUT_MS: "30000",
        VLM_QUEUE_MAX: "1",
      });
      server = createServer(service.app);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      endpoint = `http://127.0.0.1:${port}/graphql`;
      prometheus = await startPrometheus({ target: `127.0.0.1:${port}`, job: JOB });

      trafficStarted = Date.now() / 1000;
      await trafficPhase(0);
      // A scrape between the phases, so every counter and histogram moves within rate()'s window.
      await prometheus.waitForScrapes(2);
      // Redis goes away: the second phase runs on local state (the Redis row's failures).
      await redis.kill();
      await trafficPhase(12);
      await prometheus.waitForScrapes(3);
    }, 180_000);

    afterAll(async () => {
      await prometheus?.stop();
      await new Promise((resolve) => server?.close(resolve));
      await service?.runtime.close();
      await redis?.kill();
      await legacy?.remove();
    });

    /** Grafana's variables as a panel would expand them, scaled to a test's few seconds. */
    function expand(expr: string): string {
      const expanded = expr
        .replaceAll(/\$\{?__rate_interval\}?/g, "1m")
        .replaceAll(/\$\{?__interval\}?/g, "5s")
        .replaceAll(/\$\{?__range\}?/g, "5m")
        .replaceAll(/\$\{?job\}?/g, JOB)
        .replaceAll(/\$\{?instance\}?/g, ".*");
      if (expanded.includes("$")) throw new Error(`unexpanded variable in ${expr}`);
      return expanded;
    }

    it("answers every panel's and annotation's queries with data", async () => {
      const queries = dashboardQueries(DASHBOARD).filter(
        ({ where }) => !where.startsWith("variable "),
      );
      expect(queries.filter(({ where }) => where.startsWith("annotation "))).not.toEqual([]);
      expect(queries.length).toBeGreaterThan(40);

      const now = Date.now() / 1000;
      const empty: string[] = [];
      for (const { where, expr } of queries) {
        const series = await prometheus?.queryRange(expand(expr), trafficStarted, now, 1);
        const finite = (series ?? []).some((s) => s.values.some(([, v]) => Number.isFinite(+v)));
        if (!finite) empty.push(`${where}: ${expr}`);
      }
      const allowed = empty.filter((line) =>
        NO_DATA_UNTIL_SUBMIT_FEEDBACK_EXISTS.some((title) => line.startsWith(`${title} [`)),
      );
      expect(empty.filter((line) => !allowed.includes(line))).toEqual([]);
      // An allow-list entry that has data is stale: the reason it was added is gone.
      expect(allowed).toEqual(NO_DATA_UNTIL_SUBMIT_FEEDBACK_EXISTS.map(() => expect.any(String)));
    });

    it("resolves the job and instance variables", async () => {
      const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
        templating: { list: { name: string; type: string; query: string }[] };
      };
      for (const variable of dashboard.templating.list.filter((v) => v.type === "query")) {
        const [, match, label] = /^label_values\((.+), (\w+)\)$/.exec(variable.query) ?? [];
        expect(match, variable.query).toBeDefined();
        const values = await prometheus?.labelValues(label as string, expand(match as string));
        expect(values, variable.name).not.toEqual([]);
      }
      const jobs = await prometheus?.labelValues("job", METRICS.rss);
      expect(jobs).toContain(JOB);
    });

    /** The newest value of each series of a sum, by one label ("" for a plain sum). */
    async function counted(metric: string, by = "", selector = "") {
      const grouping = by ? ` by (${by})` : "";
      const series = await prometheus?.query(`sum${grouping} (${metric}{job="${JOB}"${selector}})`);
      return new Map((series ?? []).map((s) => [s.metric[by] ?? "", Number(s.values[0]?.[1])]));
    }

    it("counts CLIP invocations by the reason each answer gave", async () => {
      expect(said.reasons.size).toBeGreaterThanOrEqual(3);
      expect(await counted(METRICS.clipInvocations, "reason")).toEqual(said.reasons);
    });

    it("counts fallbacks by the cause each answer gave", async () => {
      expect(said.fallbacks.get("overloaded")).toBeGreaterThan(0);
      expect(await counted(METRICS.clipFallbacks, "cause")).toEqual(said.fallbacks);
    });

    it("counts every answered image once, and every failed one by its code", async () => {
      expect((await counted(METRICS.images, "", ', result="ok"')).get("")).toBe(said.answered);
      expect(await counted(METRICS.images, "result", ', result!="ok"')).toEqual(said.errors);
    });

    it("counts the embedding-cache hits the answers reported", async () => {
      expect(said.cacheHits).toBeGreaterThan(0);
      const lookups = await counted(METRICS.cacheLookups, "result");
      expect(lookups.get("hit")).toBe(said.cacheHits);
    });

    it.skipIf(!hasFeedbackApi)(
      "counts feedback by the outcome submitFeedback returned",
      async () => {
        expect(await counted(METRICS.feedback, "outcome")).toEqual(said.feedback);
      },
    );
  },
);
