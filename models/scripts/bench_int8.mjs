// Latency and accuracy of a pack's CLIP vision tower: fp32 vs its int8 variant,
// with and without onnxruntime's `session.x64quantprecision` (exact U8U8 int8
// kernels on x86 CPUs without VNNI instead of U8S8, whose int16 pair sums can
// saturate).
//
//   node models/scripts/bench_int8.mjs PACK_DIR [--threads 2] [--images DIR]
//        [--extra NAME=MODEL.onnx ...] [--dump-dir DIR]
//
// Run from the repository root so `onnxruntime-node` resolves. Sessions use
// intraOpNumThreads = --threads and graphOptimizationLevel "all". For each
// variant: median latency at batch 1 (25 runs) and batch 16 (6 runs), all
// variants open at once and timed in interleaved rounds; cosine of its image embeddings to fp32's on 8
// seeded random inputs plus up to 8 photos from --images (resized and
// normalised as the pack's clip/preprocessor_config.json says); the same for
// the text tower on 16 random token sequences. --extra adds another vision
// model (e.g. a 7-bit-weight variant), --extra text:NAME=FILE a text model. --dump-dir saves each int8 variant's
// optimized graph (optimizedModelFilePath) so its fused ops can be counted.
// Prints one JSON object.

import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { cosine } from "./vector.mjs";

const argv = process.argv.slice(2);
const packDir = argv[0];
if (!packDir || packDir.startsWith("--")) {
  console.error("usage: node models/scripts/bench_int8.mjs PACK_DIR [--threads 2] [--images DIR]");
  process.exit(2);
}
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const extras = argv.flatMap((a, i) => (a === "--extra" ? [argv[i + 1]] : []));
const threads = Number(option("--threads", "2"));
const imagesDir = option("--images", null);
const dumpDir = option("--dump-dir", null);

const manifest = JSON.parse(readFileSync(join(packDir, "pack.json"), "utf8"));
const vision = manifest.clip.vision;
const text = manifest.clip.text;
const X64 = { extra: { session: { x64quantprecision: "1" } } };

function variants(spec) {
  const list = [{ name: "fp32", file: join(packDir, spec.model), options: {} }];
  if (spec.precisions?.int8) {
    const file = join(packDir, spec.precisions.int8);
    list.push({ name: "int8", file, options: {} });
    list.push({ name: "int8+x64quantprecision", file, options: X64 });
  }
  return list;
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomImages(count, seed) {
  const rand = mulberry32(seed);
  const data = new Float32Array(count * 3 * 224 * 224);
  for (let i = 0; i < data.length; i++) {
    const u = Math.max(rand(), 1e-12);
    data[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return data;
}

async function photos(dir, count) {
  if (!dir) return [];
  let names;
  try {
    names = readdirSync(dir)
      .filter((n) => /\.(jpe?g|png)$/i.test(n))
      .sort();
  } catch {
    return [];
  }
  const config = JSON.parse(readFileSync(join(packDir, manifest.clip.preprocess), "utf8"));
  const size = config.crop_size?.height ?? 224;
  const edge = config.size?.shortest_edge ?? 224;
  const mean = config.image_mean;
  const std = config.image_std;
  const step = Math.max(1, Math.floor(names.length / count));
  const out = [];
  for (let k = 0; k < count && k * step < names.length; k++) {
    const path = join(dir, names[k * step]);
    const meta = await sharp(path).metadata();
    const short = Math.min(meta.width, meta.height);
    const width = meta.width === short ? edge : Math.floor((edge * meta.width) / short);
    const height = meta.height === short ? edge : Math.floor((edge * meta.height) / short);
    const { data } = await sharp(path)
      .removeAlpha()
      .toColourspace("srgb")
      .resize(width, height, { kernel: "cubic", fit: "fill" })
      .extract({
        left: Math.floor((width - size) / 2),
        top: Math.floor((height - size) / 2),
        width: size,
        height: size,
      })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const chw = new Float32Array(3 * size * size);
    for (let p = 0; p < size * size; p++) {
      for (let c = 0; c < 3; c++)
        chw[c * size * size + p] = (data[p * 3 + c] / 255 - mean[c]) / std[c];
    }
    out.push(chw);
  }
  return out;
}

function randomIds(count, length, seed) {
  const rand = mulberry32(seed);
  const ids = new BigInt64Array(count * length);
  for (let n = 0; n < count; n++) {
    const len = 4 + Math.floor(rand() * 16);
    ids[n * length] = 49406n;
    for (let j = 1; j < len; j++) ids[n * length + j] = BigInt(1 + Math.floor(rand() * 49400));
    ids[n * length + len] = 49407n;
  }
  return new ort.Tensor("int64", ids, [count, length]);
}

function rows(tensor) {
  const width = tensor.data.length / tensor.dims[0];
  return Array.from({ length: tensor.dims[0] }, (_, r) =>
    Float64Array.from(tensor.data.subarray(r * width, (r + 1) * width)),
  );
}

function meanRow(list) {
  const m = new Float64Array(list[0].length);
  for (const r of list) for (let i = 0; i < m.length; i++) m[i] += r[i] / list.length;
  return m;
}

const sub = (a, b) => a.map((v, i) => v - b[i]);
const round = (x, d = 6) => Number(x.toFixed(d));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compare(reference, got, subset) {
  const center = meanRow(reference);
  const pick = (list) => subset.map((i) => list[i]);
  const cos = pick(reference).map((r, k) => cosine(r, pick(got)[k]));
  const centered = pick(reference).map((r, k) => cosine(sub(r, center), sub(pick(got)[k], center)));
  return {
    min: round(Math.min(...cos)),
    mean: round(cos.reduce((s, x) => s + x, 0) / cos.length),
    centered_min: round(Math.min(...centered)),
  };
}

const base = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" };

async function open(file, options, dumpName) {
  if (dumpDir && dumpName) {
    const dumped = await ort.InferenceSession.create(file, {
      ...base,
      ...options,
      optimizedModelFilePath: join(dumpDir, `${dumpName}.onnx`),
    });
    await dumped.release();
  }
  const started = performance.now();
  const session = await ort.InferenceSession.create(file, { ...base, ...options });
  return { session, loadMs: Math.round(performance.now() - started) };
}

// Vision: 8 random inputs + up to 8 photos, one batch of 16 (padded with more random inputs).
const real = await photos(imagesDir, 8);
const randomCount = 16 - real.length;
const batch16 = new Float32Array(16 * 3 * 224 * 224);
batch16.set(randomImages(randomCount, 1234));
real.forEach((img, k) => {
  batch16.set(img, (randomCount + k) * img.length);
});
const feeds16 = { [vision.input]: new ort.Tensor("float32", batch16, [16, 3, 224, 224]) };
const feeds1 = {
  [vision.input]: new ort.Tensor("float32", batch16.slice(0, 3 * 224 * 224), [1, 3, 224, 224]),
};
const randomRows = Array.from({ length: 8 }, (_, i) => i);
const photoRows = real.map((_, k) => randomCount + k);

const visionVariants = variants(vision);
for (const extra of extras.filter((e) => !e.startsWith("text:"))) {
  const [name, file] = extra.split("=");
  visionVariants.push({ name, file, options: {} });
}

const results = {
  threads,
  onnxruntime: ort.env.versions?.common,
  loadavg_start: loadavg().map((x) => round(x, 2)),
  photos: real.length,
  vision: [],
  text: [],
};

// All variants stay open and are timed in interleaved rounds (rotating order), so a change in
// background load hits every variant alike.
const opened = [];
for (const v of visionVariants) {
  const dumpName = v.name === "fp32" ? null : `vision_${v.name.replace(/[^A-Za-z0-9]+/g, "_")}`;
  const { session, loadMs } = await open(v.file, v.options, dumpName);
  const out = rows((await session.run(feeds16))[vision.output]);
  const row = { name: v.name, load_ms: loadMs };
  if (dumpName) row.optimized_graph = `${dumpName}.onnx`;
  opened.push({ session, out, row, b1: [], b16: [] });
}
const reference = opened[0].out;
for (const o of opened.slice(1)) {
  o.row.cos_random = compare(reference, o.out, randomRows);
  if (photoRows.length) o.row.cos_photos = compare(reference, o.out, photoRows);
}
for (const o of opened) for (let i = 0; i < 2; i++) await o.session.run(feeds1);
const rounds = async (feeds, count, key) => {
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < opened.length; k++) {
      const o = opened[(k + r) % opened.length];
      const t = performance.now();
      await o.session.run(feeds);
      o[key].push(performance.now() - t);
    }
  }
};
await rounds(feeds1, 25, "b1");
await rounds(feeds16, 6, "b16");
for (const o of opened) {
  o.row.batch1_ms = round(median(o.b1), 1);
  o.row.batch1_ms_min = round(Math.min(...o.b1), 1);
  o.row.batch16_ms_per_call = round(median(o.b16), 1);
  o.row.batch16_ms_per_image = round(median(o.b16) / 16, 1);
  o.row.batch16_ms_per_image_min = round(Math.min(...o.b16) / 16, 1);
  results.vision.push(o.row);
  await o.session.release();
}
results.loadavg_end = loadavg().map((x) => round(x, 2));
results.fp32_random_vs_random_cos = round(cosine(reference[0], reference[1]), 4);
if (photoRows.length > 1) {
  results.fp32_photo_vs_photo_cos = round(
    cosine(reference[photoRows[0]], reference[photoRows[1]]),
    4,
  );
}

// Text: accuracy only (16 random token sequences at the pack's context length).
const idFeeds = { [text.input]: randomIds(16, text.context_length, 99) };
const textVariants = variants(text);
for (const extra of extras.filter((e) => e.startsWith("text:"))) {
  const [name, file] = extra.slice(5).split("=");
  textVariants.push({ name, file, options: {} });
}
let textReference = null;
for (const v of textVariants) {
  const dumpName = v.name === "fp32" ? null : `text_${v.name.replace(/[^A-Za-z0-9]+/g, "_")}`;
  const { session, loadMs } = await open(v.file, v.options, dumpName);
  const out = rows((await session.run(idFeeds))[text.output]);
  const row = { name: v.name, load_ms: loadMs };
  if (textReference === null) textReference = out;
  else row.cos = compare(textReference, out, [...out.keys()]);
  if (dumpName) row.optimized_graph = `${dumpName}.onnx`;
  results.text.push(row);
  await session.release();
}
console.log(JSON.stringify(results, null, 2));
