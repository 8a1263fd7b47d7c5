import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseCommandLine } from "../commands/command-line.ts";
import { loadConfig } from "../config/config.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import { cpuLine } from "../inference/cpu-features.ts";
import { syntheticJpegs } from "../inference/synthetic-images.ts";
import { quantile } from "../math/quantile.ts";
import { createRuntime } from "../runtime/runtime.ts";
import { sampleValue } from "../telemetry/metrics-text.ts";
import { cpuSecondsFromMetrics } from "../telemetry/thread-cpu.ts";
import { round } from "./stats.ts";
import { randomImages, towerLatency } from "./tower-latency.ts";

/**
 * The CLIP-bound case (`npm run bench:clip-bound`): `--concurrency` requests in flight, each a
 * distinct image with `vlm: FORCE`, with the service's default deadline. Prints the rate of
 * answers that carry CLIP's opinion beside the raw vision tower's best rate in the same run,
 * how the rest fell back (an immediate OVERLOADED is admission; TIMEOUT would be compute
 * thrown away), and the breaker's state at the end.
 *
 * And the ceiling the machine allows: every answer needs the tower's CPU time per image
 * (measured on the raw tower at its best batch) plus what the rest of a request costs (decode,
 * CNN, routing, scoring; measured in the loop). The cores divided by their sum is the most CLIP
 * answers per second any scheduling could deliver while the CNN runs on every image.
 */
const { values } = parseCommandLine({
  usage: "npm run bench:clip-bound -- [--pack DIR] [--seconds 20] [--concurrency 16]",
  help: "Requests in flight, each a distinct image with vlm: FORCE: the rate of answers with CLIP's opinion beside the vision tower's best rate, and how the rest fell back.",
  options: {
    pack: { type: "string", default: ".cache/packs/clip-vit-b32-bench" },
    seconds: { type: "string", default: "20" },
    concurrency: { type: "string", default: "16" },
  },
});
if (!existsSync(join(values.pack, "pack.json"))) {
  console.error(`no pack at ${values.pack}; build the benchmark pack with: npm run bench:pack`);
  process.exit(1);
}
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const log = (line: string) => process.stderr.write(`${line}\n`);

log(`CPU: ${cpuLine()}`);
const runtime = await createRuntime(loadConfig({ ...process.env, MODEL_PACK: values.pack }), log);
const { clip } = runtime.models;
if (!clip) throw new Error("the pack has no CLIP model");

log("raw vision tower, batch 1..8 (no queue, no cache)");
const raw = await towerLatency(clip.vision, [1, 2, 4, 8], Math.max(2, seconds / 8));
const rawBest = Math.max(...raw.map((timing) => timing.imagesPerSecond));
const scrapeCpu = async () => cpuSecondsFromMetrics(await runtime.metrics.registry.metrics());
const rawCpuMsPerImage = await towerCpuMsPerImage(
  raw.reduce((best, timing) => (timing.imagesPerSecond > best.imagesPerSecond ? timing : best))
    .batch,
);

log(`closed loop: ${concurrency} in flight, distinct images, vlm FORCE, ${seconds} s`);
// Enough distinct images that no request is ever a cache hit.
const images = await syntheticJpegs(Math.ceil(seconds * rawBest * 2) + concurrency * 4, 256, 7);
const outcomes = { clip: 0, overloaded: 0, timeout: 0, error: 0, unavailable: 0 };
let next = 0;
const latencies: number[] = [];
const cpuBefore = await scrapeCpu();
const started = performance.now();
const stopAt = started + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < stopAt) {
      const bytes = images[next++ % images.length] as Buffer;
      const sent = performance.now();
      const [answer] = await runtime.classifier.classifyImages(
        [{ bytes, sha256: sha256Hex(bytes) }],
        { topK: 1, vlm: "FORCE", labels: null },
      );
      latencies.push(performance.now() - sent);
      if (!answer || answer instanceof Error) throw answer ?? new Error("no answer");
      if (answer.vlmUsed) outcomes.clip++;
      else if (answer.fallback) outcomes[answer.fallback.toLowerCase() as keyof typeof outcomes]++;
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
const cpuAfter = await scrapeCpu();
const clipRate = outcomes.clip / elapsed;
const cores = availableParallelism();
const towerSeconds = (cpuAfter.byThreads.clip_vision ?? 0) - (cpuBefore.byThreads.clip_vision ?? 0);
const restCpuMsPerRequest =
  (1000 * (cpuAfter.total - cpuBefore.total - towerSeconds)) / latencies.length;
const ceilingRate = (1000 * cores) / (rawCpuMsPerImage + restCpuMsPerRequest);
const cpuCeiling = {
  cores,
  rawTowerCpuMsPerImage: round(rawCpuMsPerImage, 1),
  towerCpuMsPerClipAnswer: round((1000 * towerSeconds) / Math.max(outcomes.clip, 1), 1),
  restCpuMsPerRequest: round(restCpuMsPerRequest, 1),
  ceilingImagesPerSecond: round(ceilingRate, 2),
  ceilingOfRawBest: round(ceilingRate / rawBest, 3),
  clipAnswersOfCeiling: round(clipRate / ceilingRate, 3),
};
const summary = {
  cpu: cpuLine(),
  threads: runtime.config.threads,
  timeoutMs: runtime.config.clipTimeoutMs,
  rawTower: raw,
  rawBestImagesPerSecond: rawBest,
  seconds: round(elapsed),
  answers: latencies.length,
  outcomes,
  clipAnswersPerSecond: round(clipRate, 2),
  ratioToRawBest: round(clipRate / rawBest, 3),
  p50Ms: round(quantile(latencies, 0.5)),
  p95Ms: round(quantile(latencies, 0.95)),
  breaker: runtime.classifier.steps.breaker?.state ?? "none",
};
// How CLIP's batcher spent the run: batch sizes and compute per batch, from /metrics' histograms.
const metricsText = await runtime.metrics.registry.metrics();
const sample = (name: string) => sampleValue(metricsText, name, { role: "clip_vision" }) ?? 0;
const batches = sample("inference_batch_size_count");
const computeSeconds = sample("inference_compute_seconds_sum");
const clipBatches = {
  batches,
  meanSize: round(sample("inference_batch_size_sum") / batches, 2),
  meanComputeMs: round((1000 * computeSeconds) / batches, 1),
  // Below 1, the tower waited for work (admission, feeding); at 1 with a low rate, each batch
  // ran slower than the raw tower's (cores taken by other work).
  busyShare: round(computeSeconds / elapsed, 3),
};
console.log(JSON.stringify({ ...summary, clipBatches, cpuCeiling }, null, 2));
log(
  `CLIP answers ${summary.clipAnswersPerSecond}/s = ${(100 * summary.ratioToRawBest).toFixed(1)} % of the raw tower's best ${rawBest} img/s; fallbacks ${JSON.stringify(outcomes)}; breaker ${summary.breaker}`,
);
log(
  `CPU ceiling: ${cpuCeiling.rawTowerCpuMsPerImage} ms of tower + ${cpuCeiling.restCpuMsPerRequest} ms of the rest per request on ${cores} cores → ${cpuCeiling.ceilingImagesPerSecond} img/s = ${(100 * cpuCeiling.ceilingOfRawBest).toFixed(1)} % of the raw best; CLIP answers reached ${(100 * cpuCeiling.clipAnswersOfCeiling).toFixed(1)} % of it`,
);
await runtime.close();
process.exit(0);

/** CPU milliseconds the raw tower's threads spend per image at `batch`, over about 3 s. */
async function towerCpuMsPerImage(batch: number): Promise<number> {
  const { height, width } = (clip as NonNullable<typeof clip>).vision.preprocess.outputSize;
  const images = randomImages(batch, height, width);
  const before = await scrapeCpu();
  const stopAt = performance.now() + 3000;
  let embedded = 0;
  while (performance.now() < stopAt) {
    await (clip as NonNullable<typeof clip>).vision.embed(images);
    embedded += batch;
  }
  const after = await scrapeCpu();
  return (
    (1000 * ((after.byThreads.clip_vision ?? 0) - (before.byThreads.clip_vision ?? 0))) / embedded
  );
}
