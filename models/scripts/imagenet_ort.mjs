// onnxruntime-node side of build_imagenet_pack.py: the pack is measured with the same runtime,
// session options and image decoding the service uses, not with a Python stand-in.
//
//   node models/scripts/imagenet_ort.mjs photos MODEL.onnx OUTPUT PHOTOS_DIR OUT.f32 [--batch N]
//       Preprocesses every photo of PHOTOS_DIR/labels.tsv (in its row order) like the service
//       (EXIF rotate, flatten on white, sRGB, shortest edge 256 bilinear with HF's size rule,
//       centre crop 224, ImageNet mean/std) and writes OUTPUT for all photos as float32 rows.
//   node models/scripts/imagenet_ort.mjs text MODEL.onnx IDS.i64 ROWS COLS OUT.f32
//       Runs a text tower over int64 ids [ROWS, COLS] in batches of 256.
//   node models/scripts/imagenet_ort.mjs batch MODEL.onnx INPUT OUTPUT
//       Feeds the same 8 images at batch 1 and batch 8; prints the largest difference.
//
// Sessions use one intra-op thread (deterministic, and other jobs share the CPU) and
// `session.x64quantprecision = 1` like the service; the text command also reports the
// result without that option when `--plain` is given.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import sharp from "sharp";

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const EDGE = 256;
const CROP = 224;

async function session(path, plain = false) {
  return ort.InferenceSession.create(path, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    ...(plain ? {} : { extra: { session: { x64quantprecision: "1" } } }),
  });
}

async function preprocess(bytes) {
  const meta = await sharp(bytes).metadata();
  // EXIF orientations 5-8 swap width and height, as the service's inspectImage does.
  const swap = (meta.orientation ?? 1) >= 5;
  const w0 = swap ? meta.height : meta.width;
  const h0 = swap ? meta.width : meta.height;
  const [w, h] =
    w0 <= h0 ? [EDGE, Math.floor((EDGE * h0) / w0)] : [Math.floor((EDGE * w0) / h0), EDGE];
  const left = Math.floor((w - CROP) / 2);
  const top = Math.floor((h - CROP) / 2);
  const { data, info } = await sharp(bytes)
    .rotate()
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .toColourspace("srgb")
    .resize(w, h, { kernel: "linear", fit: "fill" })
    .extract({ left, top, width: CROP, height: CROP })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  const area = CROP * CROP;
  const out = new Float32Array(3 * area);
  for (let c = 0; c < 3; c++) {
    const scale = 1 / 255 / STD[c];
    const shift = MEAN[c] / STD[c];
    for (let i = 0; i < area; i++) out[c * area + i] = data[i * 3 + c] * scale - shift;
  }
  return out;
}

function photoFiles(dir) {
  const lines = readFileSync(join(dir, "labels.tsv"), "utf8").split(/\r?\n/).filter(Boolean);
  const cols = lines[0].split("\t");
  return lines.slice(1).map((line) => line.split("\t")[cols.indexOf("file")]);
}

function stack(images) {
  const per = 3 * CROP * CROP;
  const data = new Float32Array(images.length * per);
  images.forEach((img, i) => {
    data.set(img, i * per);
  });
  return new ort.Tensor("float32", data, [images.length, 3, CROP, CROP]);
}

/** The rows of several model calls, end to end. */
function concat(parts) {
  const all = new Float32Array(parts.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

const [command, ...args] = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

if (command === "photos") {
  const [model, output, dir, outPath] = args;
  const batch = Number(flag("--batch", "1"));
  const s = await session(model);
  const inputName = s.inputNames[0];
  const files = photoFiles(dir);
  const rows = [];
  for (let start = 0; start < files.length; start += batch) {
    const imgs = await Promise.all(
      files.slice(start, start + batch).map(async (f) => preprocess(readFileSync(join(dir, f)))),
    );
    const result = await s.run({ [inputName]: stack(imgs) }, [output]);
    rows.push(Float32Array.from(result[output].data));
  }
  const all = concat(rows);
  writeFileSync(outPath, Buffer.from(all.buffer));
  console.log(JSON.stringify({ photos: files.length, values: all.length }));
} else if (command === "text") {
  const [model, idsPath, rowsArg, colsArg, outPath] = args;
  const rows = Number(rowsArg);
  const cols = Number(colsArg);
  const ids = new BigInt64Array(readFileSync(idsPath).buffer.slice(0));
  const s = await session(model, args.includes("--plain"));
  const parts = [];
  for (let start = 0; start < rows; start += 256) {
    const n = Math.min(256, rows - start);
    const tensor = new ort.Tensor("int64", ids.slice(start * cols, (start + n) * cols), [n, cols]);
    const result = await s.run({ input_ids: tensor }, ["text_embeds"]);
    parts.push(Float32Array.from(result.text_embeds.data));
  }
  const all = concat(parts);
  writeFileSync(outPath, Buffer.from(all.buffer));
  console.log(JSON.stringify({ rows, values: all.length }));
} else if (command === "batch") {
  const [model, input, output] = args;
  const s = await session(model);
  const per = 3 * CROP * CROP;
  const data = new Float32Array(8 * per);
  // Deterministic, image-like values in the normalised range.
  for (let n = 0; n < 8; n++)
    for (let i = 0; i < per; i++) data[n * per + i] = 1.5 * Math.sin(0.0137 * i + 0.7 * n);
  const full = (
    await s.run({ [input]: new ort.Tensor("float32", data, [8, 3, CROP, CROP]) }, [output])
  )[output];
  let maxDiff = 0;
  const width = full.dims[1];
  for (let n = 0; n < 8; n++) {
    const one = (
      await s.run(
        {
          [input]: new ort.Tensor("float32", data.slice(n * per, (n + 1) * per), [
            1,
            3,
            CROP,
            CROP,
          ]),
        },
        [output],
      )
    )[output];
    for (let j = 0; j < width; j++)
      maxDiff = Math.max(maxDiff, Math.abs(one.data[j] - full.data[n * width + j]));
  }
  console.log(JSON.stringify({ dims: full.dims, max_abs_diff_batch1_vs_batch8: maxDiff }));
} else {
  console.error("usage: imagenet_ort.mjs photos|text|batch ...");
  process.exit(2);
}
