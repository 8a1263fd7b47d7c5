// A minimal ONNX ModelProto writer, enough for one MatMul: the GEMM ceiling is measured through
// onnxruntime itself (same kernels, same threads as the models) without shipping model files.

const ELEM_FLOAT = 1;
const ELEM_UINT8 = 2;
const ELEM_INT8 = 3;
const ELEM_INT32 = 6;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Field with a length-delimited payload (wire type 2). */
function bytesField(field: number, payload: number[] | Uint8Array): number[] {
  return [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
}

/** Field with a varint payload (wire type 0). */
function intField(field: number, value: number): number[] {
  return [...varint(field << 3), ...varint(value)];
}

const text = (value: string) => [...new TextEncoder().encode(value)];

function valueInfo(name: string, elemType: number, shape: readonly number[]): number[] {
  const dims = shape.flatMap((d) => bytesField(1, intField(1, d)));
  const tensorType = [...intField(1, elemType), ...bytesField(2, dims)];
  return [...bytesField(1, text(name)), ...bytesField(2, bytesField(1, tensorType))];
}

function node(op: string, inputs: readonly string[], outputs: readonly string[]): number[] {
  return [
    ...inputs.flatMap((i) => bytesField(1, text(i))),
    ...outputs.flatMap((o) => bytesField(2, text(o))),
    ...bytesField(4, text(op)),
  ];
}

/**
 * Y = A · B with A [m, k] and B [k, n] as inputs: MatMul for float32, MatMulInteger for
 * uint8 × int8 (onnxruntime's int8 GEMM, as in the quantized CLIP towers).
 */
export function matMulModel(kind: "fp32" | "int8", m: number, k: number, n: number): Uint8Array {
  const [aType, bType, yType, op] =
    kind === "fp32"
      ? [ELEM_FLOAT, ELEM_FLOAT, ELEM_FLOAT, "MatMul"]
      : [ELEM_UINT8, ELEM_INT8, ELEM_INT32, "MatMulInteger"];
  const graph = [
    ...bytesField(1, node(op, ["A", "B"], ["Y"])),
    ...bytesField(2, text("gemm")),
    ...bytesField(11, valueInfo("A", aType, [m, k])),
    ...bytesField(11, valueInfo("B", bType, [k, n])),
    ...bytesField(12, valueInfo("Y", yType, [m, n])),
  ];
  const opset = [...bytesField(1, []), ...intField(2, 13)];
  return new Uint8Array([...intField(1, 8), ...bytesField(8, opset), ...bytesField(7, graph)]);
}
