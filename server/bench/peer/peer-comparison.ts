import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../../config/config.ts";
import { type CpuFeatures, cpuFeatures, cpuLine } from "../../inference/cpu-features.ts";
import { syntheticJpegs } from "../../inference/synthetic-images.ts";
import { createRuntime } from "../../runtime/runtime.ts";
import { round } from "../stats.ts";
import { barChartSvg } from "./bar-chart-svg.ts";
import { writeHfClipFolder } from "./hf-clip-folder.ts";
import { installPeer } from "./install-peer.ts";
import type { PeerJob, PeerReport, PeerRun } from "./peer-process.ts";
import { createServiceZeroShot, type ServiceRun } from "./service-zero-shot.ts";

export interface PeerComparisonOptions {
  /** The benchmark pack (its fp32 CLIP towers are what both sides run). */
  pack: string;
  /** Where the JSON and the SVG chart go. */
  outDir: string;
  /** Where the peer is installed; default .cache/bench-peer. */
  peerDir?: string;
  /** A folder of JPEG photos to use instead of synthetic images; default none. */
  photos?: string | null;
  /** Intra-op threads the peer is measured at; the service runs at the largest; default [1, 2]. */
  threads?: number[];
  /** One-image calls per configuration; default 16. */
  singleCalls?: number;
  /** 16-image calls per configuration; default 2. */
  batchedCalls?: number;
  /** One-image calls with 100 labels; default 8. */
  labels100Calls?: number;
  log?: (line: string) => void;
}

// The peer's default hypothesis template is "This is a photo of {}."; both sides use this one.
const TEMPLATE = "a photo of a {}.";
const BATCH = 16;

/**
 * Transformers.js' zero-shot image classification pipeline beside the service's CLIP path, on
 * the same fp32 towers, images, labels and preprocessing config, in one run. Returns null (after
 * saying why) when the peer cannot be installed or its model folder cannot be built.
 */
export async function peerComparison(options: PeerComparisonOptions) {
  const {
    pack,
    outDir,
    peerDir = ".cache/bench-peer",
    photos = null,
    threads = [1, 2],
    singleCalls = 16,
    batchedCalls = 2,
    labels100Calls = 8,
    log = () => {},
  } = options;
  const cpu = readCpuLine();
  const peer = await installPeer(peerDir, log);
  if (!peer.ok) {
    log(`peer comparison skipped: ${peer.reason}`);
    return null;
  }
  const modelDir = resolve(outDir, "peer", `${basename(resolve(pack))}-hf`);
  try {
    await writeHfClipFolder(pack, modelDir, { log });
  } catch (error) {
    log(`peer comparison skipped: cannot build the Hugging Face folder (${String(error)})`);
    return null;
  }

  const count = Math.max(singleCalls, batchedCalls * BATCH, labels100Calls);
  const fromPhotos = photos ? await readPhotos(photos, count, log) : [];
  const imageSource = fromPhotos.length === count ? "photos" : "synthetic";
  const all = imageSource === "photos" ? fromPhotos : await syntheticJpegs(count, 256, 7);
  const labels = JSON.parse(await readFile(join(pack, "labels.json"), "utf8")) as string[];
  const labels10 = labels.slice(0, 10);
  const labels100 = labels.slice(0, 100);

  log(
    `peer: Transformers.js ${peer.version}, threads ${threads.join(" and ")} (${formatCpuLine(cpu)})`,
  );
  const work = await mkdtemp(join(tmpdir(), "peer-bench-"));
  let report: PeerReport;
  try {
    const files = await Promise.all(
      all.map(async (bytes, i) => {
        const file = join(work, `${i}.jpg`);
        await writeFile(file, bytes);
        return file;
      }),
    );
    const job: PeerJob = {
      entry: peer.entry,
      modelDir,
      images: files,
      labels10,
      labels100,
      template: TEMPLATE,
      threads,
      singleCalls,
      batchedCalls,
      labels100Calls,
    };
    await writeFile(join(work, "job.json"), JSON.stringify(job));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "peer-process.ts"), join(work, "job.json")],
      { maxBuffer: 16 << 20 },
    );
    report = JSON.parse(stdout.trim().split("\n").at(-1) as string);
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const serviceThreads = Math.max(...threads);
  log(`service: CLIP fp32 through the batcher (max 16), ${serviceThreads} threads`);
  const runtime = await createRuntime(
    loadConfig({
      ...process.env,
      MODEL_PACK: pack,
      VLM_PRECISION: "fp32",
      BATCH_MAX_SIZE: String(BATCH),
      ORT_INTRA_OP_THREADS: String(serviceThreads),
      VLM_TIMEOUT_MS: "600000",
      VLM_QUEUE_MAX: "100000",
    }),
  );
  const service = await createServiceZeroShot(runtime, TEMPLATE);
  const [embeddings10, embeddings100] = [
    await service.labels(labels10),
    await service.labels(labels100),
  ];
  const batched = all.slice(0, batchedCalls * BATCH);
  const serviceRuns = {
    single10: await service.run(all.slice(0, singleCalls), embeddings10, 1),
    concurrent10: await service.run(batched, embeddings10, BATCH),
    single100: await service.run(all.slice(0, labels100Calls), embeddings100, 1),
    concurrent100: await service.run(batched, embeddings100, BATCH),
  };
  await runtime.close();

  const peerRun = (t: number, perCall: number, labelCount: number) => {
    const run = report.runs.find(
      (r) => r.threads === t && r.imagesPerCall === perCall && r.labels === labelCount,
    );
    if (!run)
      throw new Error(`no peer run for ${t} threads, ${perCall}/call, ${labelCount} labels`);
    return run;
  };
  const summary = summarise({
    cpu,
    imageSource,
    count,
    report,
    serviceRuns,
    serviceThreads,
    peerRun,
  });
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, "peer-comparison.json"), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(outDir, "peer-comparison.svg"), chart(summary, cpu));
  return { summary, table: table(summary) };
}

function summarise({
  cpu,
  imageSource,
  count,
  report,
  serviceRuns,
  serviceThreads,
  peerRun,
}: {
  cpu: CpuLine;
  imageSource: string;
  count: number;
  report: PeerReport;
  serviceRuns: Record<"single10" | "concurrent10" | "single100" | "concurrent100", ServiceRun>;
  serviceThreads: number;
  peerRun: (threads: number, perCall: number, labels: number) => PeerRun;
}) {
  const ratio = (s: ServiceRun, p: PeerRun) => round(s.load.perSecond / p.imagesPerSecond);
  return {
    cpu,
    cpuLine: formatCpuLine(cpu),
    node: process.version,
    images: { source: imageSource, count },
    template: TEMPLATE,
    peer: {
      package: `@huggingface/transformers@${report.version}`,
      onnxruntime: report.onnxruntime,
    },
    service: { precision: "fp32", threads: serviceThreads, batchMaxSize: BATCH },
    peerRuns: report.runs.map(({ top1: _t, top1Scores: _s, ...timing }) => timing),
    serviceRuns: Object.fromEntries(
      Object.entries(serviceRuns).map(([name, { top1: _t, top1Scores: _s, ...run }]) => [
        name,
        run,
      ]),
    ),
    ratios: {
      threads: serviceThreads,
      oneImagePerRequest: ratio(serviceRuns.single10, peerRun(serviceThreads, 1, 10)),
      batched16: ratio(serviceRuns.concurrent10, peerRun(serviceThreads, BATCH, 10)),
      labels100: ratio(serviceRuns.single100, peerRun(serviceThreads, 1, 100)),
    },
    agreement: {
      labels10: agreement(serviceRuns.single10, peerRun(serviceThreads, 1, 10)),
      labels10Batched: agreement(serviceRuns.concurrent10, peerRun(serviceThreads, BATCH, 10)),
      labels100: agreement(serviceRuns.single100, peerRun(serviceThreads, 1, 100)),
    },
  };
}

/** Same top-1 label per image, and how far apart the two top-1 scores are at most. */
function agreement(service: ServiceRun, peer: PeerRun) {
  const n = Math.min(service.top1.length, peer.top1.length);
  let same = 0;
  let maxScoreDiff = 0;
  for (let i = 0; i < n; i++) {
    if (service.top1[i] === peer.top1[i]) same++;
    const diff = Math.abs((service.top1Scores[i] ?? 0) - (peer.top1Scores[i] ?? 0));
    maxScoreDiff = Math.max(maxScoreDiff, diff);
  }
  return { images: n, sameTop1: same, maxTop1ScoreDiff: round(maxScoreDiff, 5) };
}

type Summary = ReturnType<typeof summarise>;

function rows(summary: Summary) {
  const { serviceRuns: s, peerRuns } = summary;
  return [
    ...peerRuns.map((r) => ({
      label: `peer, ${r.imagesPerCall}/call, ${r.labels} labels, ${r.threads} thr`,
      perSecond: r.imagesPerSecond,
      p50: r.p50MsPerCall,
    })),
    ...Object.values(s).map((r) => ({
      label: `service, ${r.concurrency} in flight, ${r.labels} labels, ${summary.service.threads} thr`,
      perSecond: r.load.perSecond,
      p50: r.load.p50Ms,
    })),
  ];
}

function table(summary: Summary): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  const { ratios, agreement: a } = summary;
  return [
    `CPU: ${summary.cpuLine}; Node ${summary.node}; ${summary.images.count} ${summary.images.source} images`,
    `peer ${summary.peer.package} (onnxruntime-node ${summary.peer.onnxruntime}); service fp32, batcher max ${summary.service.batchMaxSize}`,
    "",
    line(["configuration", "img/s", "p50 ms per call or request"]),
    line(["---", "---", "---"]),
    ...rows(summary).map((r) => line([r.label, r.perSecond, r.p50])),
    "",
    `service / peer img/s at ${ratios.threads} threads: one image per request ${ratios.oneImagePerRequest}x, ` +
      `batched 16 per call ${ratios.batched16}x, 100 labels ${ratios.labels100}x`,
    `same top-1: 10 labels ${a.labels10.sameTop1}/${a.labels10.images}, 10 labels batched ` +
      `${a.labels10Batched.sameTop1}/${a.labels10Batched.images}, 100 labels ${a.labels100.sameTop1}/${a.labels100.images} ` +
      `(max top-1 score difference ${Math.max(a.labels10.maxTop1ScoreDiff, a.labels10Batched.maxTop1ScoreDiff, a.labels100.maxTop1ScoreDiff)})`,
  ].join("\n");
}

function chart(summary: Summary, cpu: CpuLine): string {
  return barChartSvg(
    rows(summary).map((r) => ({ label: r.label, value: r.perSecond })),
    {
      title: "CLIP zero-shot, images per second: Transformers.js pipeline vs the service",
      subtitle: formatCpuLine(cpu),
      unit: " img/s",
    },
  );
}

async function readPhotos(dir: string, count: number, log: (line: string) => void) {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => /\.jpe?g$/i.test(name))
    .sort()
    .slice(0, count);
  if (names.length < count) {
    log(`${dir}: ${names.length} JPEG photos, ${count} needed; using synthetic images`);
    return [];
  }
  return Promise.all(names.map((name) => readFile(join(dir, name))));
}

/** This machine's CPU (model and SIMD flags) and its logical cores. */
type CpuLine = CpuFeatures & { cores: number };

function readCpuLine(): CpuLine {
  return { ...cpuFeatures(), cores: cpus().length };
}

/** "AMD EPYC [avx2], 2 cores": the line printed beside every figure. */
function formatCpuLine(cpu: CpuLine): string {
  return `${cpuLine(cpu)}, ${cpu.cores} cores`;
}
