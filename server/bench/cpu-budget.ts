import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseCommandLine } from "../commands/command-line.ts";
import { cpuLine } from "../inference/cpu-features.ts";
import { openOnnxModel, type SessionOptions, stackImages } from "../inference/onnx-session.ts";
import { quantile } from "../math/quantile.ts";
import { loadPack, type ModelPack } from "../packs/load-pack.ts";
import { createComputeGate } from "./compute-gate.ts";
import { type MixedResult, mixedLoad } from "./mixed-load.ts";
import { round, timeRuns } from "./stats.ts";
import { randomImages } from "./tower-latency.ts";

/**
 * How to share the cores between the CNN and CLIP (`npm run bench:cpu`): the vision tower's
 * throughput per batch size and thread count, the CNN's time per image, then the CNN and CLIP
 * batches at the same time under each way of sharing: per-model thread pools (today), every
 * session on every core without spinning, one call at a time on every core (a process-wide
 * gate), and two CLIP sessions. Prints Markdown tables.
 */
const { values } = parseCommandLine({
  usage:
    "npm run bench:cpu -- [--pack DIR] [--seconds 8] [--precision int8] [--cnn-rate 30] [--clip-batch 8] [--only tower,cnn,mixed]",
  help: "How to share the cores between the CNN and CLIP: the vision tower's throughput per batch size and thread count, the CNN's time per image, then both at once under each way of sharing. Markdown tables.",
  options: {
    pack: { type: "string", default: ".cache/packs/clip-vit-b32-bench" },
    seconds: { type: "string", default: "8" },
    precision: { type: "string", default: "int8" },
    "cnn-rate": { type: "string", default: "30" },
    "clip-batch": { type: "string", default: "8" },
    only: { type: "string", default: "tower,cnn,mixed" },
  },
});
if (!existsSync(join(values.pack, "pack.json"))) {
  console.error(`no benchmark pack at ${values.pack}; build it with npm run bench:pack`);
  process.exit(1);
}
const seconds = Number(values.seconds);
const clipBatch = Number(values["clip-batch"]);
const cores = availableParallelism();
const half = Math.max(1, Math.floor(cores / 2));
const parts = new Set(values.only.split(","));
const pack = await loadPack(values.pack);
const log = (line: string) => process.stderr.write(`${line}\n`);

function visionFile(p: ModelPack): string {
  const tower = p.manifest.clip?.vision;
  if (!tower) throw new Error("the pack has no CLIP vision tower");
  const precision = values.precision as "int8" | "fp32" | "fp16";
  return p.file(tower.precisions?.[precision] ?? tower.model);
}

async function openVision(options: SessionOptions) {
  const tower = pack.manifest.clip?.vision;
  if (!tower) throw new Error("the pack has no CLIP vision tower");
  const model = await openOnnxModel(
    visionFile(pack),
    { inputs: [tower.input], outputs: [tower.output] },
    options,
  );
  return {
    model,
    run: (batch = clipBatch) => model.run(batchFeeds(tower.input, batch), [tower.output]),
  };
}

function batchFeeds(input: string, batch: number) {
  return { [input]: stackImages(randomImages(batch, 224, 224), 224, 224) };
}

async function openCnn(options: SessionOptions) {
  const c = pack.manifest.cnn;
  const model = await openOnnxModel(
    pack.file(c.model),
    { inputs: [c.input], outputs: [c.output] },
    options,
  );
  return { model, run: () => model.run(batchFeeds(c.input, 1), [c.output]) };
}

console.log(`CPU: ${cpuLine()}, ${cores} logical cores; vision tower ${values.precision}`);

if (parts.has("tower")) {
  console.log("\n| threads | batch | img/s | ms/batch p50 |\n|---|---|---|---|");
  for (const threads of [...new Set([1, cores])]) {
    const vision = await openVision({ intraOpThreads: threads, allowSpinning: true });
    for (const batch of [1, 4, 8]) {
      const times = await timeRuns(() => vision.run(batch), { seconds, minRuns: 3, warmUp: 1 });
      const p50 = quantile(times, 0.5);
      console.log(
        `| ${threads} | ${batch} | ${round((1000 * batch) / p50, 2)} | ${round(p50, 1)} |`,
      );
    }
    await vision.model.release();
  }
}

if (parts.has("cnn")) {
  console.log("\n| CNN threads | ms/image p50 | ms/image p95 |\n|---|---|---|");
  for (const threads of [...new Set([1, cores])]) {
    const cnn = await openCnn({ intraOpThreads: threads, allowSpinning: true });
    const times = await timeRuns(cnn.run, { seconds: Math.min(seconds, 4), minRuns: 20 });
    console.log(
      `| ${threads} | ${round(quantile(times, 0.5))} | ${round(quantile(times, 0.95))} |`,
    );
    await cnn.model.release();
  }
}

/** One way of sharing the cores: how its sessions are opened and how calls reach them. */
interface Mechanism {
  name: string;
  open(): Promise<{
    clip: () => Promise<unknown>;
    cnn: () => Promise<unknown>;
    clipCallers: number;
    close(): Promise<void>;
  }>;
}

const plain = (name: string, threads: number, allowSpinning: boolean): Mechanism => ({
  name,
  async open() {
    const [vision, cnn] = await Promise.all([
      openVision({ intraOpThreads: threads, allowSpinning }),
      openCnn({ intraOpThreads: threads, allowSpinning }),
    ]);
    return {
      clip: () => vision.run(),
      cnn: cnn.run,
      clipCallers: 1,
      close: async () => {
        await Promise.all([vision.model.release(), cnn.model.release()]);
      },
    };
  },
});

const mechanisms: Mechanism[] = [
  plain(`today: ${half} thread(s) per session, spinning`, half, true),
  plain(`(a) ${cores} threads per session, spinning`, cores, true),
  plain(`(a) ${cores} threads per session, no spinning`, cores, false),
  {
    name: `(b) one call at a time, ${cores} threads, CNN first`,
    async open() {
      const gate = createComputeGate();
      const [vision, cnn] = await Promise.all([
        openVision({ intraOpThreads: cores, allowSpinning: false }),
        openCnn({ intraOpThreads: cores, allowSpinning: false }),
      ]);
      return {
        clip: () => gate.run(1, () => vision.run()),
        cnn: () => gate.run(0, cnn.run),
        clipCallers: 1,
        close: async () => {
          await Promise.all([vision.model.release(), cnn.model.release()]);
        },
      };
    },
  },
  {
    name: `(c) ${cores} CLIP sessions × 1 thread, CNN 1 thread`,
    async open() {
      const visions = await Promise.all(
        Array.from({ length: cores }, () => openVision({ intraOpThreads: 1 })),
      );
      const cnn = await openCnn({ intraOpThreads: 1 });
      let turn = 0;
      return {
        clip: () => (visions[turn++ % visions.length] as (typeof visions)[number]).run(),
        cnn: cnn.run,
        clipCallers: visions.length,
        close: async () => {
          await Promise.all([...visions.map((v) => v.model.release()), cnn.model.release()]);
        },
      };
    },
  },
];

if (parts.has("mixed")) {
  for (const cnnPerSecond of [Number(values["cnn-rate"]), 0]) {
    const load = cnnPerSecond > 0 ? `CNN ${cnnPerSecond} img/s open loop` : "CNN back to back";
    console.log(
      `\nMixed: CLIP batches of ${clipBatch} back to back, ${load}, ${seconds} s each\n` +
        "| mechanism | CLIP img/s | CNN img/s | CNN p50 ms | CNN p95 ms | cores used |\n|---|---|---|---|---|---|",
    );
    for (const mechanism of mechanisms) {
      log(`mixed: ${mechanism.name}`);
      const opened = await mechanism.open();
      await Promise.all([opened.clip(), opened.cnn()]);
      const r: MixedResult = await mixedLoad({
        seconds,
        clipBatch,
        clipCallers: opened.clipCallers,
        cnnPerSecond,
        clip: opened.clip,
        cnn: opened.cnn,
      });
      await opened.close();
      console.log(
        `| ${mechanism.name} | ${r.clipImagesPerSecond} | ${r.cnnImagesPerSecond} | ${r.cnnP50Ms} | ${r.cnnP95Ms} | ${r.cores} |`,
      );
    }
  }
}
