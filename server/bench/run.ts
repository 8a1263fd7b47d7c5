import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import { createApp } from "../app.ts";
import { parseCommandLine } from "../commands/command-line.ts";
import { loadConfig } from "../config/config.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import { cpuLine } from "../inference/cpu-features.ts";
import { syntheticJpegs } from "../inference/synthetic-images.ts";
import { quantile } from "../math/quantile.ts";
import { dot } from "../math/vector-math.ts";
import { createRuntime, type Runtime } from "../runtime/runtime.ts";
import { createCountProgress } from "../telemetry/progress.ts";
import { multipartRequest } from "../testing/multipart.ts";
import { CLASSIFY } from "../testing/test-app.ts";
import { benchCharts } from "./bench-charts.ts";
import { closedLoop } from "./closed-loop.ts";
import { gemmCeiling } from "./gemm-ceiling.ts";
import { measureMemory } from "./memory.ts";
import { peerComparison } from "./peer/peer-comparison.ts";
import { round, timeRuns } from "./stats.ts";
import { randomImages, towerLatency } from "./tower-latency.ts";

/**
 * The benchmark suite (`npm run bench`): the plan's baseline (fp32, batch 1, no cache, no
 * batcher) beside the optimised service (int8, dynamic batcher, cache), in one process and one
 * run, on the ViT-B/32-shaped benchmark pack. Prints a table and a JSON summary.
 */
const { values } = parseCommandLine({
  usage:
    "npm run bench -- [--pack DIR] [--seconds 3] [--requests 160] [--memory] [--skip-peer] [--photos DIR] [--out FILE.json]",
  help: `The benchmark suite: the baseline (fp32, batch 1, no cache, no batcher) beside the
optimised service (int8, dynamic batcher, cache) on the ViT-B/32-shaped benchmark pack, in one
process. Prints a table and a JSON summary, writes it to --out, and SVG charts of throughput and
latency per configuration beside it.

  --pack DIR       the benchmark pack (build it with npm run bench:pack)
  --seconds S      seconds per tower-latency measurement
  --requests N     requests per closed-loop configuration
  --memory         also measure memory under load
  --skip-peer      skip the Transformers.js comparison
  --photos DIR     real photos instead of synthetic images
  --out FILE.json  the summary (default .cache/bench/results.json)
  --charts DIR     the SVG charts, which BENCHMARKS.md shows (default docs/images)`,
  options: {
    pack: { type: "string", default: ".cache/packs/clip-vit-b32-bench" },
    seconds: { type: "string", default: "3" },
    requests: { type: "string", default: "160" },
    memory: { type: "boolean", default: false },
    "skip-peer": { type: "boolean", default: false },
    photos: { type: "string" },
    out: { type: "string", default: ".cache/bench/results.json" },
    charts: { type: "string", default: "docs/images" },
  },
});
if (!existsSync(join(values.pack, "pack.json"))) {
  console.error(`no benchmark pack at ${values.pack}; generate it with:
  /usr/bin/python3 models/scripts/build_benchmark_pack.py`);
  process.exit(1);
}
const seconds = Number(values.seconds);
const requests = Number(values.requests);
// The ViT-B/32 image tower: 4.41 GMAC per 224×224 image (patch embedding, 12 blocks, projection).
const VISION_GFLOP_PER_IMAGE = 8.82;
const BATCHES = [1, 4, 8, 16];
const log = (line: string) => process.stderr.write(`${line}\n`);

const runtimeFor = (env: Record<string, string>) =>
  createRuntime(
    loadConfig({
      // The CLIP benchmarks measure the tower on every core, as the reference numbers do.
      ORT_INTRA_OP_THREADS: String(availableParallelism()),
      ...process.env,
      MODEL_PACK: values.pack,
      VLM_TIMEOUT_MS: "600000",
      VLM_QUEUE_MAX: "100000",
      // Repeated images would be answered before any model ran: this suite measures the models,
      // the batcher and the embedding cache.
      RESULT_CACHE_BYTES: "0",
      ...env,
    }),
  );

log("loading the baseline (fp32, batch 1, no cache) and optimised (int8, batcher, cache) services");
const baseline = await runtimeFor({
  VLM_PRECISION: "fp32",
  BATCH_MAX_SIZE: "1",
  EMBEDDING_CACHE_BYTES: "1",
});
const optimised = await runtimeFor({ VLM_PRECISION: "int8", BATCH_MAX_SIZE: "16" });
const threads = optimised.config.threads.ortIntraOp;
const towerOf = (runtime: Runtime) => {
  if (!runtime.models.clip)
    throw new Error(`CLIP did not load: ${runtime.models.clipUnavailableReason}`);
  return runtime.models.clip.vision;
};

log("GEMM ceiling");
const ceiling = {
  fp32Gflops: round(await gemmCeiling("fp32", threads), 1),
  int8Gops: round(await gemmCeiling("int8", threads), 1),
};

log("vision tower, offline, per batch size");
const towers = {
  fp32: await towerLatency(towerOf(baseline), BATCHES, seconds),
  int8: await towerLatency(towerOf(optimised), BATCHES, seconds),
};
const bestOffline = Math.max(...towers.int8.map((t) => t.imagesPerSecond));

log("int8 vs fp32 embeddings");
const probe = randomImages(8, 224, 224);
const [fp32Embeddings, int8Embeddings] = [
  await towerOf(baseline).embed(probe),
  await towerOf(optimised).embed(probe),
];
// Both are unit length, so the dot product is the cosine.
const cosines = fp32Embeddings.map((a, i) => dot(a, int8Embeddings[i] as Float32Array));

log(`service under saturating load: ${requests} distinct images, 16 in flight, CLIP forced`);
const images = await syntheticJpegs(requests * 2);
const inputs = images.map((bytes) => ({
  bytes,
  sha256: sha256Hex(bytes),
}));
const forced = { topK: 5, vlm: "FORCE" as const, labels: null };
const serve = (runtime: Runtime, offset: number) => (i: number) =>
  runtime.classifier.classifyImages([inputs[offset + i] as (typeof inputs)[number]], forced);
/** A closed loop with a progress bar (plain lines when stderr is not a terminal). */
async function closedLoopWithProgress(
  label: string,
  concurrency: number,
  send: (i: number) => Promise<unknown>,
) {
  const progress = createCountProgress(process.stderr, label, requests, { unit: "requests" });
  let done = 0;
  const result = await closedLoop(requests, concurrency, async (i) => {
    await send(i);
    progress.update(++done);
  });
  progress.finish(done);
  return result;
}
const service = {
  baseline: await closedLoopWithProgress("baseline", 16, serve(baseline, 0)),
  optimised: await closedLoopWithProgress("optimised", 16, serve(optimised, requests)),
};

log("batcher: saturating load vs the best offline batch; one request at a time");
const tensors = randomImages(64, 224, 224);
const vision = optimised.classifier.steps.clipVision;
if (!vision) throw new Error("no CLIP batcher");
const batcherLoad = await closedLoopWithProgress("batcher", 32, (i) =>
  vision.submit(tensors[i % 64] as Float32Array),
);
const direct = await timeRuns(() => towerOf(optimised).embed([tensors[0] as Float32Array]), {
  seconds,
});
const queued = await timeRuns(() => vision.submit(tensors[0] as Float32Array), { seconds });

// With the result cache off, as everywhere in this suite: a repeat still decodes and runs the
// CNN, and finds CLIP's embedding cached. Result-cache hits: npm run bench:capacity.
log("CLIP embedding-cache hit: a whole classify request through the HTTP handler");
const app = createApp(optimised);
const hitImage = images[0] as Buffer;
const hitRequest = () =>
  app.fetch(
    multipartRequest(CLASSIFY, { image: null, options: { vlm: "FORCE" } }, [
      { path: "variables.image", bytes: hitImage },
    ]),
  );
await hitRequest();
const hits = await timeRuns(async () => (await hitRequest()).text(), { seconds });

const clipPathPerSecond = batcherLoad.perSecond;
const summary = {
  machine: { threads, node: process.version },
  ceiling,
  towers,
  int8VsFp32: { minCosine: round(Math.min(...cosines), 5), images: cosines.length },
  speedupInt8: BATCHES.map((batch) => ({
    batch,
    perImage: round(
      (towers.fp32.find((t) => t.batch === batch)?.perImageP50Ms ?? 0) /
        (towers.int8.find((t) => t.batch === batch)?.perImageP50Ms ?? 1),
    ),
  })),
  service: { ...service, speedup: round(service.optimised.perSecond / service.baseline.perSecond) },
  batcher: {
    saturatingPerSecond: batcherLoad.perSecond,
    bestOfflinePerSecond: bestOffline,
    fractionOfOffline: round(batcherLoad.perSecond / bestOffline),
    loneDirectP50Ms: round(quantile(direct, 0.5)),
    loneBatcherP50Ms: round(quantile(queued, 0.5)),
    addedP50Ms: round(quantile(queued, 0.5) - quantile(direct, 0.5)),
  },
  cacheHit: { p50Ms: round(quantile(hits, 0.5)), p95Ms: round(quantile(hits, 0.95)) },
  computeLimit: {
    int8ImagesPerSecond: round(ceiling.int8Gops / VISION_GFLOP_PER_IMAGE, 1),
    clipPathPerSecond,
    fraction: round((clipPathPerSecond * VISION_GFLOP_PER_IMAGE) / ceiling.int8Gops),
    vsBaselineClip: round(clipPathPerSecond / (towers.fp32[0]?.imagesPerSecond ?? 1)),
  },
  memory: values.memory ? await measureMemory(log) : null,
};

log(
  `Transformers.js zero-shot pipeline vs the service's CLIP path${values["skip-peer"] ? ": skipped (--skip-peer)" : ""}`,
);
const peer = values["skip-peer"]
  ? null
  : await peerComparison({
      pack: values.pack,
      outDir: join(values.out, ".."),
      photos: values.photos ?? null,
      log,
    });

const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
console.log(
  [
    `GEMM ceiling (${threads} threads): fp32 ${ceiling.fp32Gflops} GFLOP/s, int8 ${ceiling.int8Gops} GOP/s`,
    "",
    row(["vision tower", "batch", "p50 ms/img", "p95 ms/img", "img/s"]),
    row(["---", "---", "---", "---", "---"]),
    ...(["fp32", "int8"] as const).flatMap((p) =>
      towers[p].map((t) => row([p, t.batch, t.perImageP50Ms, t.perImageP95Ms, t.imagesPerSecond])),
    ),
    "",
    row(["service (CLIP forced, 16 in flight)", "img/s", "p50 ms", "p95 ms"]),
    row(["---", "---", "---", "---"]),
    row([
      "baseline: fp32, batch 1, no cache",
      service.baseline.perSecond,
      service.baseline.p50Ms,
      service.baseline.p95Ms,
    ]),
    row([
      "optimised: int8, batcher, cache",
      service.optimised.perSecond,
      service.optimised.p50Ms,
      service.optimised.p95Ms,
    ]),
    "",
    `batcher under load: ${batcherLoad.perSecond} img/s = ${summary.batcher.fractionOfOffline} of the best offline batch (${bestOffline} img/s); lone request adds ${summary.batcher.addedP50Ms} ms to p50`,
    `CLIP embedding-cache hit, whole request (result cache off): p50 ${summary.cacheHit.p50Ms} ms, p95 ${summary.cacheHit.p95Ms} ms`,
    `CLIP path: ${clipPathPerSecond} img/s = ${summary.computeLimit.fraction} of the int8 compute limit (${summary.computeLimit.int8ImagesPerSecond} img/s), ${summary.computeLimit.vsBaselineClip}x the fp32 batch-1 tower`,
    `int8 vs fp32 embeddings: min cosine ${summary.int8VsFp32.minCosine}`,
    summary.memory ? `memory: ${JSON.stringify(summary.memory)}` : "memory: run with --memory",
    "",
    peer ? peer.table : "peer comparison: not run",
    "",
    JSON.stringify({ ...summary, peer: peer?.summary ?? null }, null, 2),
  ].join("\n"),
);
await mkdir(join(values.out, ".."), { recursive: true });
await writeFile(values.out, JSON.stringify({ ...summary, peer: peer?.summary ?? null }, null, 2));
await mkdir(values.charts, { recursive: true });
const charts = benchCharts({ cpu: cpuLine(), pack: basename(values.pack), ...summary });
for (const [name, svg] of Object.entries(charts)) {
  await writeFile(join(values.charts, name), svg);
  log(`wrote ${join(values.charts, name)}`);
}
process.exit(0);
