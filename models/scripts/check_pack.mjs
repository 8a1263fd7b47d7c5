// Load every ONNX model a pack.json names (including `precisions` variants) in
// onnxruntime-node and run each at batch 1 and 4.
//
//   node models/scripts/check_pack.mjs PACK_DIR [--expect EXPECT.json]
//
// Run from the repository root so `onnxruntime-node` resolves. Checks per model:
// the manifest's tensor names exist, output shapes are [batch, ...], values are
// finite, and row 0 of the batch-4 run equals the batch-1 run. With --expect
// (written by build_benchmark_pack.py) the batch-4 outputs are also compared
// with PyTorch's on the same deterministic inputs (cosine per row, max |diff|).
// Prints one JSON object; exits 1 when a check fails.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { cosine } from "./vector.mjs";

const args = process.argv.slice(2);
const packDir = args[0];
const expectIndex = args.indexOf("--expect");
if (!packDir || packDir.startsWith("--")) {
  console.error("usage: node models/scripts/check_pack.mjs PACK_DIR [--expect EXPECT.json]");
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(join(packDir, "pack.json"), "utf8"));
const expected = expectIndex >= 0 ? JSON.parse(readFileSync(args[expectIndex + 1], "utf8")) : null;

const IMAGE = [3, 224, 224];
const START = 49406n;
const END = 49407n;

/** Deterministic image batch: value = 1.5 * sin(0.0137 * i + 0.7 * n), i = index inside image n. */
function patternPixels(batch) {
  const per = IMAGE[0] * IMAGE[1] * IMAGE[2];
  const data = new Float32Array(batch * per);
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < per; i++) data[n * per + i] = 1.5 * Math.sin(0.0137 * i + 0.7 * n);
  }
  return new ort.Tensor("float32", data, [batch, ...IMAGE]);
}

function textIds(batch, contextLength) {
  if (expected?.text_ids) {
    const ids = new BigInt64Array(batch * contextLength);
    for (let n = 0; n < batch; n++) {
      const row = expected.text_ids[n % expected.text_ids.length];
      for (let j = 0; j < contextLength; j++) ids[n * contextLength + j] = BigInt(row[j] ?? 0);
    }
    return new ort.Tensor("int64", ids, [batch, contextLength]);
  }
  const ids = new BigInt64Array(batch * contextLength);
  for (let n = 0; n < batch; n++) {
    const len = 5 + n;
    ids[n * contextLength] = START;
    for (let j = 1; j < len; j++)
      ids[n * contextLength + j] = BigInt(300 + ((n * 977 + j * 131) % 40000));
    ids[n * contextLength + len] = END;
  }
  return new ort.Tensor("int64", ids, [batch, contextLength]);
}

function rows(tensor) {
  const width = tensor.data.length / tensor.dims[0];
  return Array.from({ length: tensor.dims[0] }, (_, r) =>
    tensor.data.subarray(r * width, (r + 1) * width),
  );
}

const entries = [];
const add = (role, spec, feed) => {
  entries.push({ role, precision: "fp32", file: spec.model, spec, feed });
  for (const [precision, file] of Object.entries(spec.precisions ?? {})) {
    entries.push({ role, precision, file, spec, feed });
  }
};
add("cnn", manifest.cnn, patternPixels);
if (manifest.clip) {
  add("vision", manifest.clip.vision, patternPixels);
  add("text", manifest.clip.text, (b) => textIds(b, manifest.clip.text.context_length));
}

const results = [];
let failed = false;
for (const { role, precision, file, spec, feed } of entries) {
  const result = { role, precision, file };
  try {
    const started = performance.now();
    const session = await ort.InferenceSession.create(join(packDir, file), {
      graphOptimizationLevel: "all",
    });
    result.load_ms = Math.round(performance.now() - started);
    if (!session.inputNames.includes(spec.input)) throw new Error(`no input ${spec.input}`);
    if (!session.outputNames.includes(spec.output)) throw new Error(`no output ${spec.output}`);
    const outputs = {};
    for (const batch of [1, 4]) {
      const out = (await session.run({ [spec.input]: feed(batch) }, [spec.output]))[spec.output];
      if (out.dims[0] !== batch) throw new Error(`batch ${batch}: output dims ${out.dims}`);
      if (!out.data.every(Number.isFinite)) throw new Error(`batch ${batch}: non-finite output`);
      outputs[batch] = out;
    }
    result.output_dims = outputs[4].dims.slice(1);
    result.batch1_vs_batch4_row0_cos = Number(
      cosine(rows(outputs[1])[0], rows(outputs[4])[0]).toFixed(7),
    );
    const want = expected?.outputs?.[role];
    if (want) {
      const got = rows(outputs[4]);
      const cos = got.map((r, i) => cosine(r, want[i]));
      const maxDiff = Math.max(
        ...got.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - want[i][j])))),
      );
      result.vs_torch_min_cos = Number(Math.min(...cos).toFixed(7));
      result.vs_torch_max_abs_diff = Number(maxDiff.toPrecision(3));
      const gate = precision === "fp32" ? 0.99999 : 0.99;
      if (Math.min(...cos) < gate) throw new Error(`cosine to torch ${Math.min(...cos)} < ${gate}`);
    }
    result.ok = true;
    await session.release();
  } catch (error) {
    result.ok = false;
    result.error = String(error?.message ?? error);
    failed = true;
  }
  results.push(result);
}
console.log(
  JSON.stringify({ onnxruntime: ort.env.versions?.common, pack: manifest.name, results }, null, 2),
);
process.exit(failed ? 1 : 0);
