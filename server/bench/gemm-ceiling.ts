import * as ort from "onnxruntime-node";
import { matMulModel } from "./onnx-matmul-model.ts";
import { timeRuns } from "./stats.ts";

/**
 * The machine's GEMM ceiling as onnxruntime reaches it with the service's thread count: the best
 * of a few large square products, in GFLOP/s (fp32) or GOP/s (int8: u8 × s8 → s32).
 */
export async function gemmCeiling(kind: "fp32" | "int8", threads: number, size = 1536) {
  const session = await ort.InferenceSession.create(matMulModel(kind, size, size, size), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    extra: { session: { x64quantprecision: "1" } },
  });
  const count = size * size;
  const feeds =
    kind === "fp32"
      ? {
          A: new ort.Tensor("float32", new Float32Array(count).fill(0.5), [size, size]),
          B: new ort.Tensor("float32", new Float32Array(count).fill(0.25), [size, size]),
        }
      : {
          A: new ort.Tensor("uint8", new Uint8Array(count).fill(3), [size, size]),
          B: new ort.Tensor("int8", new Int8Array(count).fill(2), [size, size]),
        };
  const times = await timeRuns(() => session.run(feeds), { seconds: 2, minRuns: 5 });
  await session.release();
  const best = Math.min(...times) / 1000;
  return (2 * size * size * size) / best / 1e9;
}
