import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseCommandLine } from "../commands/command-line.ts";
import { loadConfig } from "../config/config.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import { quantile } from "../math/quantile.ts";
import { decodeImage } from "../pipeline/decode.ts";
import { createRuntime } from "../runtime/runtime.ts";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import { round, timeRuns } from "./stats.ts";

/**
 * What a lone request pays beyond its models (`npm run bench:lone`): one request at a time
 * through the whole pipeline (DataLoader excluded: classifyImages), beside decode + CNN + CLIP
 * called directly, in one process and one run. CLIP is forced, the caches are off (an
 * embedding of one byte is never kept, the result cache is 0), so every request runs both
 * models. Prints the CPU and both p50s; the gap is batching, queueing, caching and bookkeeping.
 */
const { values } = parseCommandLine({
  usage: "npm run bench:lone -- [--pack fashion-mnist] [--seconds 5]",
  help: "What a lone request pays beyond its models: one request at a time through the pipeline, beside decode + CNN + CLIP called directly. Prints the CPU and both p50s.",
  options: {
    pack: { type: "string", default: "fashion-mnist" },
    seconds: { type: "string", default: "5" },
  },
});
const seconds = Number(values.seconds);

const runtime = await createRuntime(
  loadConfig({
    ...process.env,
    MODEL_PACK: values.pack,
    RESULT_CACHE_BYTES: "0",
    EMBEDDING_CACHE_BYTES: "1",
    VLM_TIMEOUT_MS: "60000",
  }),
);
const { models, config } = runtime;
const clip = models.clip;
if (!clip) throw new Error(`CLIP did not load: ${models.clipUnavailableReason}`);
const samples = loadEmbeddedSamples().map(({ bytes }) => ({ bytes, sha256: sha256Hex(bytes) }));
let next = 0;
const sample = () => samples[next++ % samples.length] as (typeof samples)[number];

const shared = JSON.stringify(clip.vision.preprocess) === JSON.stringify(models.cnn.preprocess);
/** The three steps back to back, no batcher, no cache, no DataLoader: the floor. */
async function direct() {
  const { bytes } = sample();
  const cnnInput = await decodeImage(
    bytes,
    models.cnn.preprocess,
    config.limits,
    undefined,
    shared ? undefined : clip?.vision.preprocess,
  );
  await models.cnn.classify([cnnInput.tensor]);
  await clip?.vision.embed([cnnInput.secondTensor ?? cnnInput.tensor]);
}
const lone = (vlm: "FORCE" | "AUTO") => () =>
  runtime.classifier.classifyImages([sample()], { topK: 5, vlm, labels: null });

const stepTimes = {
  decode: [] as number[],
  cnn: [] as number[],
  clip: [] as number[],
  cnnBatcher: [] as number[],
  clipBatcher: [] as number[],
};
async function steps() {
  const { bytes } = sample();
  let started = performance.now();
  const input = await decodeImage(bytes, models.cnn.preprocess, config.limits);
  stepTimes.decode.push(performance.now() - started);
  started = performance.now();
  await models.cnn.classify([input.tensor]);
  stepTimes.cnn.push(performance.now() - started);
  started = performance.now();
  await clip?.vision.embed([input.tensor]);
  stepTimes.clip.push(performance.now() - started);
  // The same calls through the process-wide batchers: what batching costs one lone image.
  started = performance.now();
  await runtime.classifier.steps.cnn.submit(input.tensor);
  stepTimes.cnnBatcher.push(performance.now() - started);
  started = performance.now();
  await runtime.classifier.steps.clipVision?.submit(input.tensor);
  stepTimes.clipBatcher.push(performance.now() - started);
}

// Interleaved rounds, so a busy neighbour on a shared machine slows both sides alike.
const floor: number[] = [];
const forced: number[] = [];
const auto: number[] = [];
for (let round = 0; round < 5; round++) {
  floor.push(...(await timeRuns(direct, { seconds: seconds / 5 })));
  forced.push(...(await timeRuns(lone("FORCE"), { seconds: seconds / 5 })));
  auto.push(...(await timeRuns(lone("AUTO"), { seconds: seconds / 5 })));
  await timeRuns(steps, { seconds: seconds / 10 });
}

const p50 = (times: number[]) => round(quantile(times, 0.5), 3);
const flags = cpuFlags();
console.log(`CPU: ${cpus()[0]?.model ?? "unknown"} × ${cpus().length}; flags: ${flags}`);
console.log(
  `pack ${models.pack.name}; ORT_INTRA_OP_THREADS ${config.threads.ortIntraOp}; BATCH_MAX_WAIT_MS ${config.batching.maxWaitMs}`,
);
console.log(
  `steps p50 (ms): decode ${p50(stepTimes.decode)}, CNN ${p50(stepTimes.cnn)}, CLIP ${p50(stepTimes.clip)}`,
);
console.log(
  `through the batchers p50 (ms): CNN ${p50(stepTimes.cnnBatcher)}, CLIP ${p50(stepTimes.clipBatcher)}`,
);
console.log(`decode + CNN + CLIP, direct:  p50 ${p50(floor)} ms  (${floor.length} runs)`);
console.log(
  `lone request, vlm FORCE:      p50 ${p50(forced)} ms  (${forced.length} runs), gap ${round(quantile(forced, 0.5) - quantile(floor, 0.5), 3)} ms`,
);
console.log(`lone request, vlm AUTO:       p50 ${p50(auto)} ms  (${auto.length} runs)`);
await runtime.close();
process.exit(0);

/** The SIMD flags onnxruntime's kernels choose by (Linux; "unknown" elsewhere). */
function cpuFlags(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("flags"));
    const all = new Set(line?.split(":")[1]?.trim().split(/\s+/) ?? []);
    const wanted = [
      "sse4_2",
      "avx",
      "avx2",
      "fma",
      "f16c",
      "avx512f",
      "avx512_vnni",
      "avx_vnni",
      "amx_int8",
    ];
    return wanted.filter((flag) => all.has(flag)).join(" ") || "none of the SIMD ones";
  } catch {
    return "unknown";
  }
}
