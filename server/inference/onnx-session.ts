import { Worker } from "node:worker_threads";
import type { InferenceSession } from "onnxruntime-node";
import { sha256File } from "../hashing/sha256.ts";
import type {
  Float32TensorData,
  FromWorker,
  TensorData,
  ToWorker,
  WorkerInit,
} from "./onnx-worker-protocol.ts";

export type { Float32TensorData, TensorData } from "./onnx-worker-protocol.ts";

export interface SessionOptions {
  /**
   * Intra-op threads for this session. Sessions overlap and do not spin, so each may have
   * every core: the busy model gets the machine while the others sleep.
   */
  intraOpThreads: number;
  /**
   * Whether this session's idle intra-op threads spin before sleeping. Default false: every
   * session of the process may use every core, and a pool spinning between calls takes the
   * cores from the session that has work (bench/cpu-budget.ts measures it). onnxruntime's own
   * default, spinning, only pays when one session has the machine to itself.
   */
  allowSpinning?: boolean;
  /**
   * Run int8 MatMuls with onnxruntime's exact u8×u8 kernels (`session.x64quantprecision`).
   * Default true. Only x86 CPUs without VNNI need it (see sessionOptions); variant-choice.ts
   * turns it off where the CPU has VNNI and the agreement check passes.
   */
  exactInt8?: boolean;
}

/** An ONNX model ready to run, with the names it was checked to have. */
export interface OnnxModel {
  readonly path: string;
  /** Of the file's bytes: names the model in cache keys shared between replicas and versions. */
  readonly sha256: string;
  readonly loadSeconds: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model on its own thread. The feeds' buffers are handed over to that thread without
   * a copy, so the caller must not use them afterwards.
   */
  run(
    feeds: Record<string, TensorData>,
    outputs: readonly string[],
  ): Promise<Record<string, Float32TensorData>>;
  /** Frees the session and ends its thread. */
  release(): Promise<void>;
  /**
   * The OS thread ids this model computes on now (its worker and onnxruntime's pool), for the
   * per-thread CPU metric; they change when the thread restarts. Empty where not Linux.
   */
  threadIds(): readonly number[];
  /**
   * Scheduling niceness of this model's threads (Linux; 0–19). A model that must yield the
   * cores to another under contention (the CNN to CLIP) runs nicer; alone, it still gets every
   * core, because niceness only weighs threads that compete. Raising it needs no privilege,
   * lowering it does: without CAP_SYS_NICE it only goes up.
   */
  setNiceness(niceness: number): void;
}

const WORKER_URL = new URL("./onnx-worker.js", import.meta.url);

/** The session settings every model of the service runs with. */
export function sessionOptions(options: SessionOptions): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    // At "extended" or above, so the setting below takes effect (it is a graph transform).
    graphOptimizationLevel: "all",
    // x86 CPUs without VNNI multiply u8×s8 with an int16 pair sum that saturates, which costs
    // full-range int8 models ~7 points of top-1 (MobileNetV2 int8: 0.752 vs 0.824 on the
    // reference photos). This makes onnxruntime use u8×u8, which is exact; no effect elsewhere.
    extra: {
      session: {
        ...(options.exactInt8 === false ? {} : { x64quantprecision: "1" }),
        ...(options.allowSpinning ? {} : { intra_op: { allow_spinning: "0" } }),
      },
    },
  };
}

/**
 * Opens an ONNX model on a thread of its own (see onnx-worker.js for why) and checks that the
 * tensors the manifest names exist, so a wrong pack fails at start with the names it has, not
 * at the first request. If the thread ever stops, the calls in flight fail and the next call
 * starts a new one.
 */
export async function openOnnxModel(
  path: string,
  tensors: { inputs: readonly string[]; outputs: readonly string[] },
  options: SessionOptions,
): Promise<OnnxModel> {
  const started = performance.now();
  const init: WorkerInit = { path, sessionOptions: sessionOptions(options), niceness: 0 };
  const [first, sha256] = await Promise.all([
    startModelThread(init).catch((error: Error) => {
      throw new Error(`cannot load model ${path}: ${error.message}`, { cause: error });
    }),
    sha256File(path),
  ]);
  for (const name of tensors.inputs) {
    if (!first.inputNames.includes(name)) {
      await first.release();
      throw new Error(`${path} has no input "${name}" (it has ${first.inputNames.join(", ")})`);
    }
  }
  for (const name of tensors.outputs) {
    if (!first.outputNames.includes(name)) {
      await first.release();
      throw new Error(`${path} has no output "${name}" (it has ${first.outputNames.join(", ")})`);
    }
  }
  let thread = first;
  let restarting: Promise<ModelThread> | null = null;
  return {
    path,
    sha256,
    loadSeconds: (performance.now() - started) / 1000,
    inputNames: first.inputNames,
    outputNames: first.outputNames,
    async run(feeds, outputs) {
      if (thread.stopped) {
        restarting ??= startModelThread(init).finally(() => {
          restarting = null;
        });
        thread = await restarting;
      }
      return thread.run(feeds, outputs);
    },
    release: () => thread.release(),
    threadIds: () => thread.threadIds,
    setNiceness(niceness) {
      // A restarted thread starts at it too.
      init.niceness = niceness;
      thread.setNiceness(niceness);
    },
  };
}

interface ModelThread {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly threadIds: readonly number[];
  readonly stopped: boolean;
  setNiceness(niceness: number): void;
  run(
    feeds: Record<string, TensorData>,
    outputs: readonly string[],
  ): Promise<Record<string, Float32TensorData>>;
  release(): Promise<void>;
}

function startModelThread(init: WorkerInit): Promise<ModelThread> {
  // No inherited loader flags: the worker is plain JavaScript.
  const worker = new Worker(WORKER_URL, { workerData: init, execArgv: [] });
  const pending = new Map<
    number,
    { resolve: (outputs: Record<string, Float32TensorData>) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let stopped = false;
  const post = (message: ToWorker, transfer: ArrayBuffer[] = []) =>
    worker.postMessage(message, transfer);

  return new Promise((resolveStart, rejectStart) => {
    const stop = (reason: Error) => {
      if (stopped) return;
      stopped = true;
      rejectStart(reason);
      for (const call of pending.values()) call.reject(reason);
      pending.clear();
    };
    worker.on("error", (error) => stop(new Error(`inference thread failed: ${error.message}`)));
    worker.on("exit", (code) => stop(new Error(`inference thread exited with code ${code}`)));
    worker.on("message", (message: FromWorker) => {
      switch (message.kind) {
        case "ready":
          // An idle model thread must not keep the process alive; one loading or with work in
          // flight must (see run).
          worker.unref();
          resolveStart({
            inputNames: message.inputNames,
            outputNames: message.outputNames,
            threadIds: message.threadIds,
            get stopped() {
              return stopped;
            },
            setNiceness(niceness) {
              if (!stopped) post({ kind: "nice", niceness });
            },
            run(feeds, outputs) {
              if (stopped) return Promise.reject(new Error("inference thread stopped"));
              const id = nextId++;
              const transfer = Object.values(feeds).map((feed) => feed.data.buffer as ArrayBuffer);
              return new Promise((resolve, reject) => {
                pending.set(id, { resolve, reject });
                if (pending.size === 1) worker.ref();
                post({ kind: "run", id, feeds, outputs }, transfer);
              });
            },
            async release() {
              if (stopped) return;
              // Held until the thread exits: an idle thread is unref'd, and a process with
              // nothing else to do would otherwise end before the release completes.
              worker.ref();
              post({ kind: "release" });
              await new Promise((resolve) => worker.once("exit", resolve));
            },
          });
          return;
        case "failed":
          stop(new Error(message.message));
          return;
        case "result":
        case "error": {
          const call = pending.get(message.id);
          pending.delete(message.id);
          if (pending.size === 0) worker.unref();
          if (message.kind === "result") call?.resolve(message.outputs);
          else call?.reject(new Error(message.message));
        }
      }
    });
  });
}

/** Stacks same-sized CHW images into one NCHW float32 tensor. */
export function stackImages(
  images: readonly Float32Array[],
  height: number,
  width: number,
): Float32TensorData {
  const size = 3 * height * width;
  const data = new Float32Array(images.length * size);
  images.forEach((image, i) => {
    data.set(image, i * size);
  });
  return { type: "float32", data, dims: [images.length, 3, height, width] };
}

/**
 * Splits a [batch, n] output into one row per item. Copies, so a cached row does not keep the
 * whole batch's buffer alive.
 */
export function splitRows(tensor: Float32TensorData | undefined): Float32Array[] {
  if (!tensor) throw new Error("the model returned no output");
  const [batch = 0, width = 0] = tensor.dims;
  return Array.from({ length: batch }, (_, i) => tensor.data.slice(i * width, (i + 1) * width));
}
