// @ts-check
// The thread one ONNX session runs on. onnxruntime-node's `run()` is synchronous native code
// (its promise only defers the call by a turn of the loop), so on the main thread every
// inference would stall the event loop: HTTP parsing, decodes and the answers of other
// requests would all wait behind a CLIP batch. Here it stalls only this thread.
// Plain JavaScript, so it loads in any host (tsx, vitest, plain node) without a TypeScript
// loader; the protocol's types are in onnx-worker-protocol.ts.
import { readdirSync, readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";

/** @typedef {import("./onnx-worker-protocol.ts").WorkerInit} WorkerInit */
/** @typedef {import("./onnx-worker-protocol.ts").ToWorker} ToWorker */
/** @typedef {import("./onnx-worker-protocol.ts").FromWorker} FromWorker */
/** @typedef {import("./onnx-worker-protocol.ts").Float32TensorData} Float32TensorData */

if (!parentPort) throw new Error("onnx-worker.js runs as a worker thread");
const port = parentPort;
const { path, sessionOptions, niceness } = /** @type {WorkerInit} */ (workerData);
const ownThreadId = thisThreadId();
/** This model's threads: its own, then onnxruntime's pool once the session exists. */
let threadIds = ownThreadId === null ? [] : [ownThreadId];
// Before the session exists, so onnxruntime's pool inherits it.
renice(niceness);

/**
 * @param {FromWorker} message
 * @param {ArrayBuffer[]} [transfer]
 */
const send = (message, transfer = []) => port.postMessage(message, transfer);

/** @type {ort.InferenceSession} */
let session;
try {
  const threadsBefore = processThreadIds();
  session = await ort.InferenceSession.create(path, sessionOptions);
  // onnxruntime starts its intra-op pool inside create(): the threads that appeared meanwhile
  // are this model's (models are opened one after another), for the per-thread CPU metric.
  const poolThreadIds = processThreadIds().filter((id) => !threadsBefore.includes(id));
  if (ownThreadId !== null) threadIds = [ownThreadId, ...poolThreadIds];
  send({
    kind: "ready",
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    threadIds,
  });
} catch (error) {
  send({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

// One message at a time, in order: a release waits for the runs asked before it.
let queue = Promise.resolve();
port.on("message", (/** @type {ToWorker} */ message) => {
  queue = queue.then(() => handle(message));
});

/** @param {ToWorker} message */
async function handle(message) {
  if (message.kind === "release") {
    await session.release();
    port.close();
    return;
  }
  if (message.kind === "nice") {
    renice(message.niceness);
    return;
  }
  try {
    /** @type {Record<string, ort.Tensor>} */
    const feeds = {};
    for (const [name, tensor] of Object.entries(message.feeds)) {
      feeds[name] = new ort.Tensor(tensor.type, tensor.data, tensor.dims);
    }
    const results = await session.run(feeds, message.outputs);
    /** @type {Record<string, Float32TensorData>} */
    const outputs = {};
    for (const name of message.outputs) {
      const tensor = results[name];
      if (!tensor) throw new Error(`the model returned no "${name}"`);
      if (tensor.type !== "float32") throw new Error(`"${name}" is ${tensor.type}, not float32`);
      // A copy in this thread's heap, which can be handed over without a second copy; the
      // tensor's own buffer may belong to onnxruntime.
      const data = /** @type {Float32Array} */ (tensor.data).slice();
      outputs[name] = { type: "float32", data, dims: [...tensor.dims] };
    }
    send(
      { kind: "result", id: message.id, outputs },
      Object.values(outputs).map((output) => /** @type {ArrayBuffer} */ (output.data.buffer)),
    );
  } catch (error) {
    send({
      kind: "error",
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

// Linux keeps a niceness per thread, and new threads inherit their creator's. setpriority()
// with a thread id reaches one thread; /proc/thread-self names it. Where /proc does not exist
// (not Linux), the model runs at normal priority and reports no threads.

/**
 * Sets every thread of this model to `value`. Raising niceness needs no privilege; lowering it
 * does, so a niceness once raised stays (an error here only leaves the priority as it was).
 *
 * @param {number} value
 */
function renice(value) {
  for (const id of threadIds) {
    try {
      setPriority(id, value);
    } catch {}
  }
}

/** @returns {number | null} */
function thisThreadId() {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").pop());
  } catch {
    return null;
  }
}

/** @returns {number[]} */
function processThreadIds() {
  try {
    return readdirSync("/proc/self/task").map(Number);
  } catch {
    return [];
  }
}
