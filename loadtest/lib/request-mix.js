// @ts-check
/**
 * What the load is made of: which sample each request uploads, and whether it is sent byte for
 * byte (a cache hit for CLIP) or made unique. Plain JavaScript without imports, shared by the k6
 * scripts and the Node runner. Each export is typed by its declaration in request-mix.d.ts.
 */

/** @type {typeof import("./request-mix.js").CLASSIFY_QUERY} */
export const CLASSIFY_QUERY =
  "mutation Classify($image: File!, $options: ClassifyOptions) { classify(image: $image, options: $options) { id top { label score } vlmUsed vlmReason fallback cacheHit } }";

/** @type {typeof import("./request-mix.js").ROUTING_MODES} */
export const ROUTING_MODES = ["auto", "explicit"];

/** @type {typeof import("./request-mix.js").operationsFor} */
export const operationsFor = (plan, routing) => {
  // "explicit" asks for CLIP by request (FORCE / OFF) instead of relying on the pack's CNN to be
  // unsure on the right samples: the mix's CLIP share then holds on any pack, e.g. a benchmark
  // pack with random weights, whose CNN is unsure about everything.
  const options = routing === "explicit" ? { vlm: plan.clip ? "FORCE" : "OFF" } : null;
  return JSON.stringify({ query: CLASSIFY_QUERY, variables: { image: null, options } });
};

/** @type {typeof import("./request-mix.js").SAMPLES_DIR} */
export const SAMPLES_DIR = "models/fashion-mnist/samples";

// Measured through the service with `vlm: AUTO` on the embedded pack and the default thresholds:
// CLIP is asked when the CNN's top-1 probability is below 0.85 (11 of the 30 samples).
/** @type {typeof import("./request-mix.js").SAMPLES} */
export const SAMPLES = [
  { file: "t10k-00000_ankle_boot.png", clip: false },
  { file: "t10k-00001_pullover.png", clip: false },
  { file: "t10k-00002_trouser.png", clip: false },
  { file: "t10k-00003_trouser.png", clip: false },
  { file: "t10k-00004_shirt.png", clip: true },
  { file: "t10k-00005_trouser.png", clip: false },
  { file: "t10k-00006_coat.png", clip: false },
  { file: "t10k-00007_shirt.png", clip: false },
  { file: "t10k-00008_sandal.png", clip: false },
  { file: "t10k-00009_sneaker.png", clip: false },
  { file: "t10k-00010_coat.png", clip: false },
  { file: "t10k-00011_sandal.png", clip: true },
  { file: "t10k-00012_sneaker.png", clip: false },
  { file: "t10k-00013_dress.png", clip: false },
  { file: "t10k-00014_coat.png", clip: true },
  { file: "t10k-00016_pullover.png", clip: true },
  { file: "t10k-00018_bag.png", clip: false },
  { file: "t10k-00019_T-shirt_top.png", clip: true },
  { file: "t10k-00020_pullover.png", clip: false },
  { file: "t10k-00021_sandal.png", clip: true },
  { file: "t10k-00022_sneaker.png", clip: false },
  { file: "t10k-00023_ankle_boot.png", clip: true },
  { file: "t10k-00026_shirt.png", clip: true },
  { file: "t10k-00027_T-shirt_top.png", clip: true },
  { file: "t10k-00028_ankle_boot.png", clip: false },
  { file: "t10k-00029_dress.png", clip: true },
  { file: "t10k-00030_bag.png", clip: false },
  { file: "t10k-00031_bag.png", clip: false },
  { file: "t10k-00032_dress.png", clip: true },
  { file: "t10k-00035_T-shirt_top.png", clip: false },
];

// Two CLIP-routed samples far below the threshold and two CNN-only ones far above it, so
// routing never flips with the batch a sample lands in.
/** @type {typeof import("./request-mix.js").HOT_SET} */
export const HOT_SET = [
  "t10k-00004_shirt.png",
  "t10k-00027_T-shirt_top.png",
  "t10k-00001_pullover.png",
  "t10k-00009_sneaker.png",
];

// A production-like share of uncertain images, and a fifth of traffic repeating popular ones.
/** @type {typeof import("./request-mix.js").MIX} */
export const MIX = Object.freeze({ clipShare: 0.3, hotShare: 0.2 });

const byClip = {
  all: { true: pick(true, SAMPLES), false: pick(false, SAMPLES) },
  hot: {
    true: pick(
      true,
      SAMPLES.filter((s) => HOT_SET.includes(s.file)),
    ),
    false: pick(
      false,
      SAMPLES.filter((s) => HOT_SET.includes(s.file)),
    ),
  },
};

/** @type {typeof import("./request-mix.js").planRequest} */
export const planRequest = (index) => {
  // Three independent uniform draws per index: which group, hot or not, which sample.
  const clip = unit(index, 0) < MIX.clipShare;
  const hot = unit(index, 1) < MIX.hotShare;
  const group = (hot ? byClip.hot : byClip.all)[clip ? "true" : "false"];
  const file = group[Math.floor(unit(index, 2) * group.length)] ?? group[0] ?? "";
  return { file, clip, hot };
};

/** @type {typeof import("./request-mix.js").uniqueImage} */
export const uniqueImage = (png, nonce) => {
  // 8-byte signature, then IHDR (length, type, 13 data bytes, CRC); PNG requires IHDR first.
  const ihdrEnd = 8 + 4 + 4 + 13 + 4;
  if (png.length < ihdrEnd || ascii(png.subarray(12, 16)) !== "IHDR") {
    throw new Error("not a PNG with an IHDR chunk");
  }
  const data = bytesOf(`Comment\0${nonce}`);
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(bytesOf("tEXt"), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, ihdrEnd), 0);
  out.set(chunk, ihdrEnd);
  out.set(png.subarray(ihdrEnd), ihdrEnd + chunk.length);
  return out;
};

/**
 * @param {boolean} clip
 * @param {readonly import("./request-mix.js").Sample[]} samples
 */
function pick(clip, samples) {
  const files = samples.filter((s) => s.clip === clip).map((s) => s.file);
  if (files.length === 0) throw new Error(`the mix has no ${clip ? "CLIP" : "CNN-only"} sample`);
  return files;
}

/**
 * A uniform number in [0, 1) from (index, stream): an integer hash (lowbias32), so every run
 * replays the same sequence without sharing state between k6's VUs.
 * @param {number} index
 * @param {number} stream
 */
function unit(index, stream) {
  let x = (index * 4 + stream + 1) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 2 ** 32;
}

/** @type {Uint32Array | undefined} */
let crcTable;

/** @param {Uint8Array} bytes */
function crc32(bytes) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** PNG text chunks are Latin-1; the nonces and keywords here are ASCII. @param {string} text */
function bytesOf(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7e) throw new Error(`not ASCII: ${JSON.stringify(text)}`);
    out[i] = code;
  }
  return out;
}

/** @param {Uint8Array} bytes */
function ascii(bytes) {
  return String.fromCharCode(...bytes);
}
