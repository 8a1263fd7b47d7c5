import { availableParallelism } from "node:os";
import { buildScenario } from "../../loadtest/lib/scenarios.js";
import { runLoad } from "../../loadtest/node/open-model.ts";
import { loadPhotos, type Photo, uniquePhoto } from "../../loadtest/node/photos.ts";
import type { LoadReport } from "../../loadtest/node/report.ts";
import { sendClassify } from "../../loadtest/node/send-classify.ts";
import { parseCommandLine } from "../commands/command-line.ts";
import { cpuLine } from "../inference/cpu-features.ts";
import { quantile } from "../math/quantile.ts";
import { METRICS } from "../telemetry/metric-names.ts";
import { sampleValue } from "../telemetry/metrics-text.ts";
import { cpuSecondsFromMetrics } from "../telemetry/thread-cpu.ts";
import { startServiceProcess } from "../testing/service-process.ts";
import { round } from "./stats.ts";

/**
 * Capacity from per-stage costs, then the load that meets the latency targets
 * (`npm run bench:capacity -- --photos DIR`).
 *
 * 1. Starts the service as its own process and measures what each stage costs it in CPU time
 *    (from its own /metrics: the process's CPU, every thread counted, and the split by thread):
 *    a request that is a result-cache hit (HTTP, multipart, GraphQL, hashing: no decode, no
 *    model), a distinct photo with CLIP off (plus decode and CNN), and one with CLIP forced
 *    (plus the second model). Each runs with several requests in flight, so the models batch
 *    as they do under load. The cores divided by the
 *    cost of an average request (CLIP's cost weighted by the share the routing sends it) is
 *    the capacity.
 * 2. Runs the open-model load at rising fractions of that capacity, every photo with new bytes,
 *    and reports the highest rate that met the targets, as a fraction of the capacity.
 */
const USAGE =
  "npm run bench:capacity -- --photos DIR [--pack P] [--routing auto|explicit] [--p95 MS] [--p99 MS] [--max-fallback-share F] [--step-seconds S] [--steps 0.6,0.8,...] [--stage-requests N]";
const { values, fail } = parseCommandLine({
  usage: USAGE,
  help: `The default pack, AUTO routing, p95 < 100 ms. The benchmark pack's mixed load:
  --pack .cache/packs/clip-vit-b32-bench --routing explicit --p95 200 --p99 300 --max-fallback-share 0.01`,
  options: {
    photos: { type: "string" },
    pack: { type: "string" },
    routing: { type: "string", default: "auto" },
    p95: { type: "string", default: "100" },
    p99: { type: "string" },
    "max-fallback-share": { type: "string" },
    "step-seconds": { type: "string", default: "20" },
    steps: { type: "string", default: "0.6,0.7,0.8,0.85,0.9,0.95,1,1.1" },
    "stage-requests": { type: "string", default: "300" },
  },
});
const photosDir = values.photos ?? fail("--photos is required");
const routing =
  values.routing === "auto" || values.routing === "explicit"
    ? values.routing
    : fail(`unknown routing "${values.routing}"`);
const p95Ms = Number(values.p95);
const p99Ms = values.p99 === undefined ? Number.POSITIVE_INFINITY : Number(values.p99);
const maxFallbackShare =
  values["max-fallback-share"] === undefined ? 1 : Number(values["max-fallback-share"]);
const stepSeconds = Number(values["step-seconds"]);
const stageRequests = Number(values["stage-requests"]);
const fractions = values.steps.split(",").map(Number);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Requests in flight while a stage is measured: enough for the batchers to fill. */
const STAGE_CONCURRENCY = 8;

const photos = await loadPhotos(photosDir);
const cores = availableParallelism();
log(`CPU: ${cpuLine()}`);
const service = await startServiceProcess(values.pack ? { MODEL_PACK: values.pack } : {});
const graphql = `${service.url}/graphql`;
const ready = (await fetch(`${service.url}/ready`).then((response) => response.json())) as {
  cnnPriority: unknown;
};
log(
  `service pid ${service.pid} at ${service.url}; CNN priority ${JSON.stringify(ready.cnnPriority)}; ${photos.length} photos`,
);

try {
  const stages = await measureStages();
  const capacity = (cores * 1000) / stages.requestCpuMs;
  log(`capacity from the stage costs: ${round(capacity, 1)} req/s on ${cores} cores`);
  const runs: {
    fraction: number;
    rate: number;
    report: LoadReport;
    met: boolean;
    cores: Record<string, number>;
  }[] = [];
  let missesInARow = 0;
  for (const fraction of fractions) {
    const rate = round(capacity * fraction, 1);
    const cpuBefore = await serviceCpu();
    const report = await runLoad({
      scenario: buildScenario("steady", {
        rate,
        durationS: stepSeconds,
        p95Ms,
        ...(values.p99 === undefined ? {} : { p99Ms }),
      }),
      target: graphql,
      routing,
      photos,
    });
    const met =
      report.errorRate === 0 &&
      report.latencyMs.p95 < p95Ms &&
      report.latencyMs.p99 < p99Ms &&
      report.fallbackShare < maxFallbackShare;
    const cores = coresByThreads(
      cpuBefore.byThreads,
      (await serviceCpu()).byThreads,
      report.elapsedS,
    );
    runs.push({ fraction, rate, report, met, cores });
    log(
      `${rate} req/s (${fraction} of capacity): cores ${JSON.stringify(cores)}; achieved ${round(report.achievedRate, 1)}, p50 ${round(report.latencyMs.p50, 1)} p95 ${round(report.latencyMs.p95, 1)} p99 ${round(report.latencyMs.p99, 1)} ms, errors ${report.errors.http + report.errors.graphql + report.errors.notSent}, CLIP ${round(100 * report.clipShare, 1)} %, fallbacks ${round(100 * report.fallbackShare, 2)} % → ${met ? "met" : "missed"}`,
    );
    missesInARow = met ? 0 : missesInARow + 1;
    if (missesInARow === 2) break;
  }
  const best = runs.filter((run) => run.met).at(-1);
  const summary = {
    cpu: cpuLine(),
    cores,
    pack: values.pack ?? "default",
    routing,
    targets: { p95Ms, p99Ms: values.p99 ?? null, maxFallbackShare, errors: 0 },
    stages,
    capacityRequestsPerSecond: round(capacity, 1),
    runs: runs.map(({ fraction, rate, report, met, cores }) => ({
      fraction,
      rate,
      achieved: round(report.achievedRate, 1),
      p50Ms: round(report.latencyMs.p50, 1),
      p95Ms: round(report.latencyMs.p95, 1),
      p99Ms: round(report.latencyMs.p99, 1),
      errors: report.errors.http + report.errors.graphql + report.errors.notSent,
      clipShare: round(report.clipShare, 3),
      fallbackShare: round(report.fallbackShare, 4),
      met,
      cores,
    })),
    bestRate: best?.rate ?? 0,
    bestOfCapacity: round((best?.rate ?? 0) / capacity, 3),
  };
  console.log(JSON.stringify(summary, null, 2));
  log(
    `highest rate meeting the targets: ${summary.bestRate} req/s = ${round(100 * summary.bestOfCapacity, 1)} % of the ${summary.capacityRequestsPerSecond} req/s capacity`,
  );
} finally {
  await service.stop();
}

/** What each stage costs the service in CPU ms, and the routing's share for CLIP. */
async function measureStages() {
  const one = photos[0] as Photo;
  // A result-cache hit: the second and later sends of the same bytes skip decode and models.
  const sameBytes = () => ({ photo: one, bytes: one.bytes });
  const hit = await cpuPerRequest(stageRequests, sameBytes, null);
  // The whole request's latency for a hit, one at a time: what a client sees on a repeat.
  const loneHit = await cpuPerRequest(stageRequests, sameBytes, null, 1);
  const cnnOnly = await cpuPerRequest(stageRequests, distinct("off"), { vlm: "OFF" });
  const withClip = await cpuPerRequest(stageRequests, distinct("force"), { vlm: "FORCE" });
  const auto = await cpuPerRequest(stageRequests, distinct("auto"), null);
  const decodeMs = await meanDecodeMs();
  // Explicit routing forces CLIP on the mix's share; AUTO's share is what the pack routed.
  const clipShare = routing === "explicit" ? 0.3 : auto.clipShare;
  log(
    `CPU ms per request by thread: hit ${JSON.stringify(hit.msByThreads)}; CLIP off ${JSON.stringify(cnnOnly.msByThreads)}; CLIP forced ${JSON.stringify(withClip.msByThreads)}; AUTO ${JSON.stringify(auto.msByThreads)}`,
  );
  const stageCpuMs = {
    http: round(hit.cpuMs),
    decodeAndCnn: round(cnnOnly.cpuMs - hit.cpuMs),
    // Per image CLIP answered: images that fell back (overloaded, timeout) cost it little.
    clip: round((withClip.cpuMs - cnnOnly.cpuMs) / Math.max(withClip.clipShare, 1 / stageRequests)),
  };
  const requestCpuMs = stageCpuMs.http + stageCpuMs.decodeAndCnn + clipShare * stageCpuMs.clip;
  log(`result-cache hit, one in flight: p50 ${loneHit.p50Ms} ms, p95 ${loneHit.p95Ms} ms`);
  log(
    `CPU per request: HTTP ${stageCpuMs.http} ms, decode + CNN ${stageCpuMs.decodeAndCnn} ms (decode alone ~${decodeMs} ms wall), second model ${stageCpuMs.clip} ms × ${round(100 * clipShare, 1)} % → ${round(requestCpuMs)} ms`,
  );
  return {
    stageCpuMs,
    decodeWallMs: decodeMs,
    resultCacheHit: { p50Ms: loneHit.p50Ms, p95Ms: loneHit.p95Ms },
    clipShare: round(clipShare, 3),
    autoMeasured: { clipShare: round(auto.clipShare, 3), cpuMs: round(auto.cpuMs) },
    forcedAnsweredByClip: round(withClip.clipShare, 3),
    cpuMsByThreads: {
      resultCacheHit: hit.msByThreads,
      clipOff: cnnOnly.msByThreads,
      clipForced: withClip.msByThreads,
      auto: auto.msByThreads,
    },
    requestCpuMs: round(requestCpuMs),
  };
}

function distinct(tag: string) {
  return (i: number) => {
    const photo = photos[i % photos.length] as Photo;
    return { photo, bytes: uniquePhoto(photo, `stage-${tag}-${Date.now()}-${i}`) };
  };
}

/**
 * CPU ms the service spends per request of one kind, `concurrency` in flight, and the
 * requests' latency.
 */
async function cpuPerRequest(
  count: number,
  upload: (i: number) => { photo: Photo; bytes: Uint8Array },
  options: { vlm: string } | null,
  concurrency = STAGE_CONCURRENCY,
) {
  const operations = JSON.stringify({
    query:
      "mutation Classify($image: File!, $options: ClassifyOptions) { classify(image: $image, options: $options) { id vlmUsed fallback cacheHit } }",
    variables: { image: null, options },
  });
  const send = async (i: number) => {
    const { photo, bytes } = upload(i);
    const outcome = await sendClassify(
      graphql,
      { file: photo.file, bytes, operations, contentType: photo.contentType },
      performance.now(),
      30_000,
    );
    if (!outcome.ok) throw new Error(`stage request failed: ${outcome.error}`);
    latencies.push(outcome.latencyMs);
    return outcome;
  };
  const latencies: number[] = [];
  await send(0);
  latencies.length = 0;
  const before = await serviceCpu();
  let next = 1;
  let clipUsed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next <= count) if ((await send(next++)).vlmUsed) clipUsed++;
    }),
  );
  const after = await serviceCpu();
  const msByThreads = Object.fromEntries(
    Object.entries(after.byThreads).map(([group, seconds]) => [
      group,
      round((1000 * (seconds - (before.byThreads[group] ?? 0))) / count),
    ]),
  );
  return {
    msByThreads,
    cpuMs: (1000 * (after.total - before.total)) / count,
    clipShare: clipUsed / count,
    p50Ms: round(quantile(latencies, 0.5)),
    p95Ms: round(quantile(latencies, 0.95)),
  };
}

async function meanDecodeMs(): Promise<number> {
  const text = await fetch(`${service.url}/metrics`).then((response) => response.text());
  const sum = sampleValue(text, `${METRICS.decode}_sum`) ?? 0;
  const count = sampleValue(text, `${METRICS.decode}_count`) ?? 0;
  return count === 0 ? 0 : round((1000 * sum) / count);
}

/** The service's CPU seconds from one scrape, in all and by thread group. */
async function serviceCpu() {
  return cpuSecondsFromMetrics(await fetch(`${service.url}/metrics`).then((r) => r.text()));
}

/** Cores each thread group used over a run: CPU seconds per wall second, and their total. */
function coresByThreads(
  before: Record<string, number>,
  after: Record<string, number>,
  wallSeconds: number,
): Record<string, number> {
  const cores: Record<string, number> = {};
  let total = 0;
  for (const [group, seconds] of Object.entries(after)) {
    const used = (seconds - (before[group] ?? 0)) / wallSeconds;
    cores[group] = round(used);
    total += used;
  }
  return { ...cores, total: round(total) };
}
