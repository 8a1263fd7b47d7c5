import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { ImageLimits } from "./decode-image.ts";
import { preprocessImage, preprocessImages } from "./preprocess-image.ts";
import { parsePreprocessorConfig } from "./preprocessor-config.ts";

const LIMITS: ImageLimits = { maxPixels: 40_000_000, maxSide: 16_384, minSide: 8 };

/** Two models with different inputs: CLIP-like 224 crop of a 256 edge, and a 28×28 CNN. */
const CLIP_LIKE = parsePreprocessorConfig({
  size: { shortest_edge: 256 },
  resample: 2,
  crop_size: { height: 224, width: 224 },
  image_mean: [0.485, 0.456, 0.406],
  image_std: [0.229, 0.224, 0.225],
});
const CNN_28 = parsePreprocessorConfig({
  size: { height: 28, width: 28 },
  resample: 2,
  do_center_crop: false,
  image_mean: [0.286, 0.286, 0.286],
  image_std: [0.353, 0.353, 0.353],
});

/** Seeded noise with a gradient: resampling differences would show, unlike on a flat colour. */
function noisyPixels(width: number, height: number) {
  const pixels = Buffer.alloc(width * height * 3);
  let state = 7;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    pixels[i] = ((i / 3) % width) / 4 + (state % 64);
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

function maxDifference(a: Float32Array, b: Float32Array) {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

describe("preprocessImages: one decode, one tensor per model", () => {
  it("matches a decode per model, within one grey level, from a single decode", async () => {
    const png = await noisyPixels(320, 240).png().toBuffer();
    const [clip, cnn] = await preprocessImages(png, [CLIP_LIKE, CNN_28], LIMITS);
    const separate = await Promise.all(
      [CLIP_LIKE, CNN_28].map((spec) => preprocessImage(png, spec, LIMITS)),
    );
    expect(clip).toHaveLength(3 * 224 * 224);
    expect(cnn).toHaveLength(3 * 28 * 28);
    // One 8-bit level, normalised by the smallest std.
    const oneLevel = 1 / 255 / 0.229 + 1e-6;
    expect(maxDifference(clip as Float32Array, separate[0] as Float32Array)).toBeLessThanOrEqual(
      oneLevel,
    );
    expect(maxDifference(cnn as Float32Array, separate[1] as Float32Array)).toBeLessThanOrEqual(
      oneLevel,
    );
  });

  it("decodes a large JPEG per model, shrunk while decoding: exactly a decode per model", async () => {
    const jpeg = await noisyPixels(1200, 900).jpeg({ quality: 90 }).toBuffer();
    const together = await preprocessImages(jpeg, [CLIP_LIKE, CNN_28], LIMITS);
    const separate = await Promise.all(
      [CLIP_LIKE, CNN_28].map((spec) => preprocessImage(jpeg, spec, LIMITS)),
    );
    expect(together).toEqual(separate);
  });

  it("applies EXIF orientation once for every model", async () => {
    const rotated = await noisyPixels(60, 40).png().withMetadata({ orientation: 6 }).toBuffer();
    const [clip] = await preprocessImages(rotated, [CLIP_LIKE, CNN_28], LIMITS);
    const alone = await preprocessImage(rotated, CLIP_LIKE, LIMITS);
    expect(maxDifference(clip as Float32Array, alone)).toBeLessThanOrEqual(1 / 255 / 0.229 + 1e-6);
  });
});
