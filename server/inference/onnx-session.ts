import * as ort from "onnxruntime-node";

export interface SessionOptions {
  /** Intra-op threads for this session; size it together with decode threads. */
  intraOpThreads: number;
}

/** An ONNX model ready to run, with the names it was checked to have. */
export interface OnnxModel {
  readonly path: string;
  readonly session: ort.InferenceSession;
  readonly loadSeconds: number;
}

/**
 * Opens an ONNX model and checks that the tensors the manifest names exist, so a wrong pack
 * fails at start with the names it has, not at the first request.
 */
export async function openOnnxModel(
  path: string,
  tensors: { inputs: readonly string[]; outputs: readonly string[] },
  options: SessionOptions,
): Promise<OnnxModel> {
  const started = performance.now();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      // At "extended" or above, so the setting below takes effect (it is a graph transform).
      graphOptimizationLevel: "all",
      // x86 CPUs without VNNI multiply u8×s8 with an int16 pair sum that saturates, which costs
      // full-range int8 models ~7 points of top-1 (MobileNetV2 int8: 0.752 vs 0.824 on the
      // reference photos). This makes onnxruntime use u8×u8, which is exact; no effect elsewhere.
      extra: { session: { x64quantprecision: "1" } },
    });
  } catch (error) {
    throw new Error(`cannot load model ${path}: ${(error as Error).message}`, { cause: error });
  }
  for (const name of tensors.inputs) {
    if (!session.inputNames.includes(name)) {
      throw new Error(`${path} has no input "${name}" (it has ${session.inputNames.join(", ")})`);
    }
  }
  for (const name of tensors.outputs) {
    if (!session.outputNames.includes(name)) {
      throw new Error(`${path} has no output "${name}" (it has ${session.outputNames.join(", ")})`);
    }
  }
  return { path, session, loadSeconds: (performance.now() - started) / 1000 };
}

/** Stacks same-sized CHW images into one NCHW float32 tensor. */
export function stackImages(images: readonly Float32Array[], height: number, width: number) {
  const size = 3 * height * width;
  const data = new Float32Array(images.length * size);
  images.forEach((image, i) => {
    data.set(image, i * size);
  });
  return new ort.Tensor("float32", data, [images.length, 3, height, width]);
}

/** Splits a [batch, n] float32 output into one row per item (copies, so the tensor can be freed). */
export function splitRows(tensor: ort.Tensor): Float32Array[] {
  const [batch, width] = tensor.dims as [number, number];
  const data = tensor.data as Float32Array;
  return Array.from({ length: batch }, (_, i) => data.slice(i * width, (i + 1) * width));
}
