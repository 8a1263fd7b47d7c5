import { createReadStream } from "node:fs";
import type { PackManifest, Precision } from "./manifest.ts";

/** One model of a manifest: its default file, that file's declared precision, the others. */
type TowerManifest = Pick<PackManifest["cnn"], "model" | "precision" | "precisions">;

/**
 * Operators only a quantized graph contains: onnxruntime's QOperator format (QLinear*), the
 * dynamic quantization this project's quantizer writes (DynamicQuantizeLinear + MatMulInteger)
 * and the QDQ format (QuantizeLinear/DequantizeLinear pairs around float operators).
 */
const QUANTIZED_OPS = [
  "QLinearConv",
  "QLinearMatMul",
  "QLinearAdd",
  "QLinearMul",
  "DynamicQuantizeLinear",
  "MatMulInteger",
  "ConvInteger",
  "QuantizeLinear",
  "DequantizeLinear",
];

/**
 * A node's `op_type` as protobuf writes it: field 4 of NodeProto, a length-delimited string
 * (tag 0x22), its length, then the name. Matching the tag and length, not just the name, keeps
 * a tensor or node merely *named* "MatMulInteger_out" from counting.
 */
const OP_TYPE_PATTERNS = QUANTIZED_OPS.map((op) =>
  Buffer.concat([Buffer.from([0x22, op.length]), Buffer.from(op, "latin1")]),
);
const LONGEST = Math.max(...OP_TYPE_PATTERNS.map((pattern) => pattern.length));

/**
 * int8 when the ONNX graph at `path` runs a quantized operator, else fp32 (an fp16 graph must
 * say so in pack.json). Streams the file: models are hundreds of megabytes.
 */
export async function graphPrecision(path: string): Promise<"int8" | "fp32"> {
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(path)) {
    // The previous chunk's end is kept so an operator name split across chunks still matches.
    const window = Buffer.concat([tail, chunk as Buffer]);
    if (OP_TYPE_PATTERNS.some((pattern) => window.includes(pattern))) return "int8";
    tail = window.subarray(Math.max(0, window.length - LONGEST + 1));
  }
  return "fp32";
}

/**
 * The precision of one file of a model: its key under `precisions`; for the default file
 * without one, the manifest's `precision`, else what its graph says.
 */
export async function filePrecision(
  tower: TowerManifest,
  file: string,
  resolve: (relative: string) => string,
): Promise<Precision> {
  const declared = Object.entries(tower.precisions ?? {}).find(([, f]) => f === file)?.[0];
  if (declared) return declared as Precision;
  if (file === tower.model && tower.precision) return tower.precision;
  return graphPrecision(resolve(file));
}
