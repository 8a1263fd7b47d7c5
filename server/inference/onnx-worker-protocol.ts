import type { InferenceSession } from "onnxruntime-node";

/** A tensor as it crosses between threads: plain typed arrays, no onnxruntime objects. */
export type TensorData =
  | Float32TensorData
  | { type: "int64"; data: BigInt64Array; dims: readonly number[] };
/** Every output the service reads is float32. */
export type Float32TensorData = { type: "float32"; data: Float32Array; dims: readonly number[] };

/** What a worker is started with. */
export interface WorkerInit {
  path: string;
  sessionOptions: InferenceSession.SessionOptions;
  /** Applied to the worker's own thread before the session (and its thread pool) is created. */
  niceness: number;
}

export type ToWorker =
  | { kind: "run"; id: number; feeds: Record<string, TensorData>; outputs: readonly string[] }
  | { kind: "nice"; niceness: number }
  | { kind: "release" };

export type FromWorker =
  | { kind: "ready"; inputNames: string[]; outputNames: string[]; threadIds: number[] }
  | { kind: "failed"; message: string }
  | { kind: "result"; id: number; outputs: Record<string, Float32TensorData> }
  | { kind: "error"; id: number; message: string };
