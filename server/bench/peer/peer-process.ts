import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { type CallTiming, timeCalls } from "./call-timing.ts";

/**
 * The peer's side of the comparison, run as its own process (`node --import tsx peer-process.ts
 * JOB.json`): Transformers.js brings its own onnxruntime-node, which must not share a process
 * with the service's. Prints one JSON object (PeerReport) on stdout.
 */
export interface PeerJob {
  /** The peer's ESM entry file. */
  entry: string;
  /** The Hugging Face-layout folder (config.json, tokenizer.json, onnx/model.onnx…). */
  modelDir: string;
  /** JPEG files, read before any timing; every configuration starts at image 0. */
  images: string[];
  labels10: string[];
  labels100: string[];
  template: string;
  threads: number[];
  /** Single-image calls per configuration, then 16-image calls, then single calls with 100 labels. */
  singleCalls: number;
  batchedCalls: number;
  labels100Calls: number;
}

export interface PeerRun extends CallTiming {
  threads: number;
  imagesPerCall: number;
  labels: number;
  /** Top-1 label and its score per image, in image order. */
  top1: string[];
  top1Scores: number[];
}

export interface PeerReport {
  version: string;
  onnxruntime: string;
  runs: PeerRun[];
}

type ZeroShotResult = { label: string; score: number }[];
interface Peer {
  env: {
    version: string;
    allowRemoteModels: boolean;
    allowLocalModels: boolean;
    localModelPath: string;
    backends: { onnx: { versions?: Record<string, string> } };
  };
  RawImage: { fromBlob(blob: Blob): Promise<unknown> };
  pipeline(
    task: "zero-shot-image-classification",
    model: string,
    options: { dtype: "fp32"; device: "cpu"; session_options: Record<string, unknown> },
  ): Promise<
    ((
      images: unknown,
      labels: string[],
      options: { hypothesis_template: string },
    ) => Promise<ZeroShotResult | ZeroShotResult[]>) & { dispose(): Promise<void> }
  >;
}

const BATCH = 16;

async function main(jobFile: string): Promise<PeerReport> {
  const job: PeerJob = JSON.parse(await readFile(jobFile, "utf8"));
  const peer: Peer = await import(pathToFileURL(job.entry).href);
  peer.env.allowRemoteModels = false;
  peer.env.allowLocalModels = true;
  peer.env.localModelPath = `${dirname(job.modelDir)}/`;
  const images = await Promise.all(job.images.map((file) => readFile(file)));
  const runs: PeerRun[] = [];
  for (const threads of job.threads) {
    const classify = await peer.pipeline("zero-shot-image-classification", basename(job.modelDir), {
      dtype: "fp32",
      device: "cpu",
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    // Decoding is part of each call, as it is for the service.
    const call = async (first: number, count: number, labels: string[]) => {
      const decoded = await Promise.all(
        images
          .slice(first, first + count)
          .map((bytes) => peer.RawImage.fromBlob(new Blob([bytes]))),
      );
      const out = await classify(count === 1 ? decoded[0] : decoded, labels, {
        hypothesis_template: job.template,
      });
      const perImage = (count === 1 ? [out] : out) as ZeroShotResult[];
      return perImage.map((scores) => scores[0] ?? { label: "", score: Number.NaN });
    };
    const measure = async (calls: number, perCall: number, labels: string[]) => {
      const best: { label: string; score: number }[] = [];
      const timing = await timeCalls(calls, perCall, async (i) => {
        best.push(...(await call(i * perCall, perCall, labels)));
      });
      runs.push({
        ...timing,
        threads,
        imagesPerCall: perCall,
        labels: labels.length,
        top1: best.map((b) => b.label),
        top1Scores: best.map((b) => b.score),
      });
    };
    // Warm-up; the pipeline caches nothing, so image 0 may come again.
    await call(0, 1, job.labels10);
    await measure(job.singleCalls, 1, job.labels10);
    await measure(job.batchedCalls, BATCH, job.labels10);
    if (threads === Math.max(...job.threads)) await measure(job.labels100Calls, 1, job.labels100);
    await classify.dispose();
  }
  return {
    version: peer.env.version,
    onnxruntime: peer.env.backends.onnx.versions?.node ?? "unknown",
    runs,
  };
}

const jobFile = process.argv[2];
if (!jobFile) throw new Error("usage: peer-process.ts JOB.json");
process.stdout.write(`${JSON.stringify(await main(jobFile))}\n`);
