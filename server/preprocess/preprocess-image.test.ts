import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { UserError, type UserErrorCode } from "../errors/user-error.ts";
import { jpegWithSamsungScanHeader } from "../testing/bad-input-corpus/image-bytes.ts";
import { type ImageLimits, inspectImage } from "./decode-image.ts";
import { preprocessImage, resizedSize } from "./preprocess-image.ts";
import { type PreprocessSpec, parsePreprocessorConfig } from "./preprocessor-config.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const fixturesDir = path.join(here, "fixtures");
const sharedDir = path.resolve(repoRoot, "..", "shared");

const LIMITS: ImageLimits = { maxPixels: 40_000_000, maxSide: 16_384, minSide: 8 };

/** The imagenet-mini pack's preprocessor_config.json. */
const IMAGENET_MINI_CONFIG = {
  do_convert_rgb: true,
  do_resize: true,
  size: { shortest_edge: 256 },
  resample: 2,
  do_center_crop: true,
  crop_size: { height: 224, width: 224 },
  do_rescale: true,
  rescale_factor: 0.00392156862745098,
  do_normalize: true,
  image_mean: [0.485, 0.456, 0.406],
  image_std: [0.229, 0.224, 0.225],
};
const IMAGENET_MINI = parsePreprocessorConfig(IMAGENET_MINI_CONFIG);

/** A 28×28 model (Fashion-MNIST-like): fixed resize, no crop, one grey mean/std on all channels. */
const FIXED_28 = parsePreprocessorConfig({
  size: { height: 28, width: 28 },
  resample: 2,
  do_center_crop: false,
  image_mean: [0.286, 0.286, 0.286],
  image_std: [0.353, 0.353, 0.353],
});

/** Un-normalised output (values in 0–1), fixed size: for reading colours back. */
function rawSpec(height: number, width: number): PreprocessSpec {
  return parsePreprocessorConfig({
    size: { height, width },
    resample: 2,
    do_center_crop: false,
    do_normalize: false,
  });
}

type Rgb = readonly [number, number, number];

function solidPng(width: number, height: number, [r, g, b]: Rgb): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();
}

/** A raw HWC image from a per-pixel function. */
function rawImage(
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  pixel: (x: number, y: number) => number[],
) {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * channels);
  }
  return sharp(data, { raw: { width, height, channels } });
}

/** Value of channel c at (y, x) in a CHW tensor. */
function at(tensor: Float32Array, spec: PreprocessSpec, c: number, y: number, x: number): number {
  const { height, width } = spec.outputSize;
  return tensor[c * height * width + y * width + x] as number;
}

/** The 0–255 pixel value a normalised tensor value came from. */
function pixelValue(value: number, spec: PreprocessSpec, c: number): number {
  return (value * (spec.std[c] as number) + (spec.mean[c] as number)) / spec.rescale;
}

function normalised(pixel: number, spec: PreprocessSpec, c: number): number {
  return (pixel * spec.rescale - (spec.mean[c] as number)) / (spec.std[c] as number);
}

async function expectUserError(promise: Promise<unknown>, code: UserErrorCode) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a ${code} UserError`).toBeInstanceOf(UserError);
  expect((error as UserError).code).toBe(code);
  return error as UserError;
}

// A minimal PNG encoder, so a 16-bit image does not depend on sharp's own encoder.
function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png16(width: number, height: number, pixel: (x: number, y: number) => Rgb): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 6); // filter byte 0, then RGB as big-endian uint16
    for (let x = 0; x < width; x++) {
      pixel(x, y).forEach((value, c) => {
        row.writeUInt16BE(value, 1 + x * 6 + c * 2);
      });
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 16; // bit depth
  header[9] = 2; // colour type: truecolour
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A 256×256 JPEG with detail everywhere (so truncating it loses real scan data). */
function detailedJpeg(): Promise<Buffer> {
  return rawImage(256, 256, 3, (x, y) => [(x * 7 + y) % 256, (y * 5) % 256, (x * y) % 251])
    .jpeg({ quality: 90 })
    .toBuffer();
}

describe("resizedSize", () => {
  it("follows Hugging Face's shortest-edge rule: shorter side → target, longer side floored", () => {
    expect(resizedSize(500, 375, { shortestEdge: 256 })).toEqual({ width: 341, height: 256 });
    expect(resizedSize(375, 500, { shortestEdge: 256 })).toEqual({ width: 256, height: 341 });
    expect(resizedSize(640, 480, { shortestEdge: 224 })).toEqual({ width: 298, height: 224 });
    expect(resizedSize(300, 200, { shortestEdge: 256 })).toEqual({ width: 384, height: 256 });
    expect(resizedSize(97, 135, { shortestEdge: 256 })).toEqual({ width: 256, height: 356 });
    expect(resizedSize(256, 256, { shortestEdge: 256 })).toEqual({ width: 256, height: 256 });
  });

  it("uses {height, width} as given, whatever the image's shape", () => {
    expect(resizedSize(500, 375, { height: 28, width: 28 })).toEqual({ width: 28, height: 28 });
    expect(resizedSize(10, 1000, { height: 20, width: 30 })).toEqual({ width: 30, height: 20 });
  });

  // HF computes int(size * long / short): the exact quotient, floored. Computing the scale first
  // (size / short) and multiplying rounds below an exact integer for some sizes, e.g. a 103×103
  // square comes out 256×255 and a 299×299 one 224×223.
  it("matches int(size * long / short) exactly, including squares", () => {
    const mismatches: string[] = [];
    for (const edge of [224, 256]) {
      for (let short = 1; short <= 600; short++) {
        for (let long = short; long <= 3 * short; long++) {
          const expected = Math.floor((edge * long) / short); // exact: integers far below 2^53
          const got = resizedSize(short, long, { shortestEdge: edge });
          if (got.width !== edge || got.height !== expected) {
            mismatches.push(
              `${short}×${long}@${edge} → ${got.width}×${got.height}, HF ${edge}×${expected}`,
            );
          }
        }
      }
    }
    expect(mismatches.slice(0, 5), `${mismatches.length} sizes differ from HF`).toEqual([]);
  });
});

describe("preprocessImage", () => {
  describe("shape", () => {
    it("is 3 × 224 × 224 for the imagenet-mini config", async () => {
      const tensor = await preprocessImage(
        await solidPng(500, 375, [10, 20, 30]),
        IMAGENET_MINI,
        LIMITS,
      );
      expect(tensor).toBeInstanceOf(Float32Array);
      expect(tensor.length).toBe(3 * 224 * 224);
    });

    it("is 3 × 28 × 28 for a fixed 28×28 config, from any aspect ratio", async () => {
      for (const [w, h] of [
        [28, 28],
        [100, 30],
        [9, 300],
      ] as const) {
        const tensor = await preprocessImage(await solidPng(w, h, [10, 20, 30]), FIXED_28, LIMITS);
        expect(tensor.length).toBe(3 * 28 * 28);
      }
    });

    it("lays a non-square output out as CHW rows of the output width", async () => {
      // Top half red, bottom half blue, resized to 20 high × 30 wide.
      const bytes = await rawImage(60, 40, 3, (_, y) => (y < 20 ? [255, 0, 0] : [0, 0, 255]))
        .png()
        .toBuffer();
      const spec = rawSpec(20, 30);
      const tensor = await preprocessImage(bytes, spec, LIMITS);
      expect(tensor.length).toBe(3 * 20 * 30);
      for (const x of [0, 15, 29]) {
        expect(at(tensor, spec, 0, 2, x)).toBeCloseTo(1, 5);
        expect(at(tensor, spec, 2, 2, x)).toBeCloseTo(0, 5);
        expect(at(tensor, spec, 0, 17, x)).toBeCloseTo(0, 5);
        expect(at(tensor, spec, 2, 17, x)).toBeCloseTo(1, 5);
      }
    });

    // Consequence of the resizedSize rounding above: with CLIP's default config (shortest edge
    // 224, crop 224) a 299×299 image is resized to 224×223, and the 224-high crop no longer fits.
    it("preprocesses a 299×299 image with CLIP's default config", async () => {
      const clipDefault = parsePreprocessorConfig({});
      const tensor = await preprocessImage(
        await solidPng(299, 299, [90, 90, 90]),
        clipDefault,
        LIMITS,
      );
      expect(tensor.length).toBe(3 * 224 * 224);
    });
  });

  describe("analytic goldens", () => {
    it("maps a solid colour to (c/255 − mean) / std in every position of each channel", async () => {
      const colour: Rgb = [200, 100, 50];
      const bytes = await solidPng(300, 200, colour);
      for (const spec of [IMAGENET_MINI, FIXED_28]) {
        const tensor = await preprocessImage(bytes, spec, LIMITS);
        const area = spec.outputSize.height * spec.outputSize.width;
        for (let c = 0; c < 3; c++) {
          const expected = normalised(colour[c] as number, spec, c);
          const channel = tensor.subarray(c * area, (c + 1) * area);
          expect(Math.min(...channel)).toBeCloseTo(expected, 5);
          expect(Math.max(...channel)).toBeCloseTo(expected, 5);
        }
      }
      // Spot-check the arithmetic itself: red 200 under ImageNet's mean/std.
      const tensor = await preprocessImage(bytes, IMAGENET_MINI, LIMITS);
      expect(tensor[0]).toBeCloseTo((200 / 255 - 0.485) / 0.229, 5);
    });

    it("makes three equal channels from a greyscale image", async () => {
      const grey = rawImage(120, 90, 1, (x, y) => [(x * 2 + y) % 256]);
      const bytes = await grey.toColourspace("b-w").png().toBuffer();
      const meta = await sharp(bytes).metadata();
      expect(meta.channels).toBe(1);

      const spec = IMAGENET_MINI;
      const tensor = await preprocessImage(bytes, spec, LIMITS);
      const area = 224 * 224;
      let spread = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < area; i++) {
        const [r, g, b] = [0, 1, 2].map((c) => pixelValue(tensor[c * area + i] as number, spec, c));
        spread = Math.max(
          spread,
          Math.abs((r as number) - (g as number)),
          Math.abs((r as number) - (b as number)),
        );
        lo = Math.min(lo, r as number);
        hi = Math.max(hi, r as number);
      }
      expect(spread).toBeLessThan(1e-3); // in 0–255 units: float rounding only
      expect(hi - lo).toBeGreaterThan(100); // the gradient survived
    });

    it("flattens transparent pixels onto white", async () => {
      // Left half opaque red; right half fully transparent with black colour values underneath
      // (dropping alpha without flattening would give black there).
      const bytes = await rawImage(64, 64, 4, (x) => (x < 32 ? [255, 0, 0, 255] : [0, 0, 0, 0]))
        .png()
        .toBuffer();
      expect((await sharp(bytes).metadata()).channels).toBe(4);

      const spec = FIXED_28;
      const tensor = await preprocessImage(bytes, spec, LIMITS);
      expect(tensor.length).toBe(3 * 28 * 28);
      for (const y of [0, 13, 27]) {
        for (const x of [0, 11]) {
          expect(at(tensor, spec, 0, y, x)).toBeCloseTo(normalised(255, spec, 0), 5);
          expect(at(tensor, spec, 1, y, x)).toBeCloseTo(normalised(0, spec, 1), 5);
        }
        for (const x of [16, 27]) {
          for (let c = 0; c < 3; c++)
            expect(at(tensor, spec, c, y, x)).toBeCloseTo(normalised(255, spec, c), 5);
        }
      }
    });

    it("converts a CMYK JPEG to sRGB", async () => {
      const colour: Rgb = [150, 110, 80];
      const bytes = await sharp({
        create: { width: 64, height: 48, channels: 3, background: { r: 150, g: 110, b: 80 } },
      })
        .toColourspace("cmyk")
        .jpeg({ quality: 95 })
        .toBuffer();
      const meta = await sharp(bytes).metadata();
      expect([meta.format, meta.space, meta.channels]).toEqual(["jpeg", "cmyk", 4]);

      const spec = FIXED_28;
      const tensor = await preprocessImage(bytes, spec, LIMITS);
      expect(tensor.length).toBe(3 * 28 * 28);
      // sRGB → CMYK → sRGB through ICC profiles is lossy: measured 150,110,80 → 146,106,69.
      // 14 levels still catches CMYK read as RGB(A) or inverted, which are off by 100+.
      for (const [y, x] of [
        [0, 0],
        [14, 14],
        [27, 27],
      ] as const) {
        for (let c = 0; c < 3; c++) {
          expect(
            Math.abs(pixelValue(at(tensor, spec, c, y, x), spec, c) - (colour[c] as number)),
          ).toBeLessThan(14);
        }
      }
    });

    describe("EXIF orientation", () => {
      // Stored 80 wide × 40 high: left half red, right half blue.
      const stored = () =>
        rawImage(80, 40, 3, (x) => (x < 40 ? [255, 0, 0] : [0, 0, 255])).jpeg({ quality: 95 });

      it("is applied: orientation 6 (rotate 90° clockwise) puts the left half on top", async () => {
        const bytes = await stored().withMetadata({ orientation: 6 }).toBuffer();
        expect((await sharp(bytes).metadata()).orientation).toBe(6);

        const spec = rawSpec(32, 16);
        const tensor = await preprocessImage(bytes, spec, LIMITS);
        for (const x of [0, 8, 15]) {
          for (const y of [0, 12]) {
            expect(at(tensor, spec, 0, y, x)).toBeGreaterThan(0.9);
            expect(at(tensor, spec, 2, y, x)).toBeLessThan(0.1);
          }
          for (const y of [19, 31]) {
            expect(at(tensor, spec, 0, y, x)).toBeLessThan(0.1);
            expect(at(tensor, spec, 2, y, x)).toBeGreaterThan(0.9);
          }
        }
      });

      it("uses the displayed size for the shortest-edge rule", async () => {
        const bytes = await stored().withMetadata({ orientation: 6 }).toBuffer();
        const spec = parsePreprocessorConfig({ ...IMAGENET_MINI_CONFIG, do_normalize: false });
        // Displayed 40×80 → resized 256×512 → crop rows 144–367: red above row 112 of the crop.
        const tensor = await preprocessImage(bytes, spec, LIMITS);
        for (const x of [0, 112, 223]) {
          expect(at(tensor, spec, 0, 100, x)).toBeGreaterThan(0.9);
          expect(at(tensor, spec, 2, 124, x)).toBeGreaterThan(0.9);
        }
      });

      it("without the tag, the same pixels stay left and right (control)", async () => {
        const bytes = await stored().toBuffer();
        const spec = rawSpec(32, 16);
        const tensor = await preprocessImage(bytes, spec, LIMITS);
        expect(at(tensor, spec, 0, 0, 0)).toBeGreaterThan(0.9);
        expect(at(tensor, spec, 2, 0, 15)).toBeGreaterThan(0.9);
      });

      it("inspectImage reports the displayed width and height", async () => {
        const bytes = await stored().withMetadata({ orientation: 6 }).toBuffer();
        expect(await inspectImage(bytes, LIMITS)).toEqual({
          width: 40,
          height: 80,
          format: "jpeg",
          bytes: bytes.byteLength,
        });
        const upright = await stored().toBuffer();
        expect(await inspectImage(upright, LIMITS)).toMatchObject({ width: 80, height: 40 });
      });
    });

    it("decodes a 16-bit PNG to the same 8-bit values (v × 257 → v)", async () => {
      const levels = [0, 1, 127, 128, 200, 254, 255];
      const level = (x: number, y: number, c: number) =>
        levels[(x + y + c) % levels.length] as number;
      const bytes = png16(16, 12, (x, y) => [
        level(x, y, 0) * 257,
        level(x, y, 1) * 257,
        level(x, y, 2) * 257,
      ]);
      expect((await sharp(bytes).metadata()).depth).toBe("ushort");

      // No resize, a crop of the whole image: output pixels are input pixels.
      const spec = parsePreprocessorConfig({
        do_resize: false,
        crop_size: { height: 12, width: 16 },
        do_normalize: false,
      });
      const tensor = await preprocessImage(bytes, spec, LIMITS);
      for (let y = 0; y < 12; y++) {
        for (let x = 0; x < 16; x++) {
          for (let c = 0; c < 3; c++)
            expect(at(tensor, spec, c, y, x) * 255).toBeCloseTo(level(x, y, c), 3);
        }
      }
    });
  });

  describe("golden against Pillow (models/scripts/preprocess_reference.py)", () => {
    interface GoldenCase {
      file: string;
      source: "fixtures" | "shared/data/imagenet-samples";
      config: string;
      originalSize: [number, number];
      resizedSize: [number, number];
      shape: [number, number, number];
      channelMean: [number, number, number];
      samples: { c: number; y: number; x: number; value: number }[];
    }
    interface Golden {
      configs: Record<string, unknown>;
      cases: GoldenCase[];
    }
    const golden = JSON.parse(
      readFileSync(path.join(fixturesDir, "preprocess-golden.json"), "utf8"),
    ) as Golden;

    // The tolerances are not 0 because the resamplers differ. PIL's BILINEAR and sharp's 'linear'
    // agree to rounding when shrinking (at most 3 levels of 255 anywhere), but when enlarging,
    // libvips samples the source at x/scale − 0.5 where PIL uses (x + 0.5)/scale − 0.5: half an
    // output pixel apart, invisible on smooth gradients and large at hard edges.
    // Measured against Pillow 9.4 (normalised units; 1 level of 255 ≈ 0.017), largest |Δ| over
    // the full 3×224×224 tensor / over the 30 samples / of a channel mean:
    //   gradient-400x300.png (shrunk 300 → 256)     0.053 / 0.000001 / 0.00051
    //   small-97x135.jpg     (enlarged 97 → 256)    0.99  / 0.63 (25 of 30 ≤ 0.0175) / 0.0047
    //   n01440764_tench.JPEG (shrunk 375 → 256)     0.035 / 0.0175 / 0.0016
    // Both decoders give identical pixels for these JPEGs, so decoding adds nothing.
    const CLOSE = 0.03; // ≈ 1.7 levels of 255
    const tolerances: Record<string, { mean: number; closeFraction: number; max: number }> = {
      "gradient-400x300.png": { mean: 0.001, closeFraction: 1, max: CLOSE },
      "small-97x135.jpg": { mean: 0.006, closeFraction: 0.8, max: 0.7 },
      "n01440764_tench.JPEG": { mean: 0.0025, closeFraction: 1, max: CLOSE },
    };

    it("was made with the imagenet-mini config", () => {
      expect(golden.configs["imagenet-mini"]).toEqual({
        ...IMAGENET_MINI_CONFIG,
        rescale_factor: expect.closeTo(1 / 255, 12),
      });
      expect(golden.cases.map((c) => c.file)).toEqual(Object.keys(tolerances));
    });

    for (const golden_ of golden.cases) {
      const file =
        golden_.source === "fixtures"
          ? path.join(fixturesDir, golden_.file)
          : path.join(sharedDir, "data", "imagenet-samples", golden_.file);
      const available = golden_.source === "fixtures" || existsSync(file);
      if (!available) {
        console.warn(`skipping the Pillow golden for ${golden_.file}: ${file} is not there`);
      }

      it.skipIf(!available)(`matches Pillow on ${golden_.file}`, async () => {
        const spec = parsePreprocessorConfig(golden.configs[golden_.config]);
        const tolerance = tolerances[golden_.file];
        if (!tolerance) throw new Error(`no tolerance for ${golden_.file}`);
        const bytes = readFileSync(file);

        const [width, height] = golden_.originalSize;
        expect(await inspectImage(bytes, LIMITS)).toMatchObject({ width, height });
        if (!spec.resize) throw new Error("the golden config resizes");
        const resized = resizedSize(width, height, spec.resize);
        expect([resized.width, resized.height]).toEqual(golden_.resizedSize);

        const tensor = await preprocessImage(bytes, spec, LIMITS);
        const [channels, h, w] = golden_.shape;
        expect(tensor.length).toBe(channels * h * w);

        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let i = c * h * w; i < (c + 1) * h * w; i++) sum += tensor[i] as number;
          expect(Math.abs(sum / (h * w) - (golden_.channelMean[c] as number))).toBeLessThan(
            tolerance.mean,
          );
        }

        const diffs = golden_.samples.map((s) =>
          Math.abs((tensor[s.c * h * w + s.y * w + s.x] as number) - s.value),
        );
        const close = diffs.filter((d) => d <= CLOSE).length;
        expect(close / diffs.length).toBeGreaterThanOrEqual(tolerance.closeFraction);
        expect(Math.max(...diffs)).toBeLessThanOrEqual(tolerance.max);
      });
    }
  });

  describe("errors", () => {
    it("rejects a truncated JPEG as INVALID_IMAGE", async () => {
      const jpeg = await detailedJpeg();
      const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
      // The header is intact, so inspection alone cannot tell.
      expect(await inspectImage(truncated, LIMITS)).toMatchObject({ width: 256, height: 256 });
      const error = await expectUserError(
        preprocessImage(truncated, FIXED_28, LIMITS),
        "INVALID_IMAGE",
      );
      expect(error.message).toMatch(/^the image could not be decoded: /);
      // The intact file decodes (so it is the truncation that fails).
      expect((await preprocessImage(jpeg, FIXED_28, LIMITS)).length).toBe(3 * 28 * 28);
    });

    it("rejects bytes that are not an image as INVALID_IMAGE", async () => {
      await expectUserError(
        preprocessImage(new TextEncoder().encode("hello, world"), FIXED_28, LIMITS),
        "INVALID_IMAGE",
      );
    });

    it("rejects a JPEG cut mid-scan and closed with an end marker (half an image)", async () => {
      const jpeg = await detailedJpeg();
      const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
      const cut = Buffer.concat([
        jpeg.subarray(0, Math.floor((scan + jpeg.length) / 2)),
        Buffer.from([0xff, 0xd9]),
      ]);
      // libjpeg calls this a warning and fills the missing rows with grey: failOn "error" would
      // let it through.
      expect((await sharp(cut, { failOn: "error" }).raw().toBuffer()).length).toBe(256 * 256 * 3);
      const error = await expectUserError(preprocessImage(cut, FIXED_28, LIMITS), "INVALID_IMAGE");
      expect(error.message).toMatch(/premature end of data segment/);
    });

    it("decodes a JPEG with the scan header Samsung cameras write, whole", async () => {
      const jpeg = await detailedJpeg();
      const samsung = jpegWithSamsungScanHeader(jpeg);
      await expect(sharp(samsung, { failOn: "warning" }).raw().toBuffer()).rejects.toThrow(
        /Invalid SOS parameters/,
      );
      expect(await preprocessImage(samsung, FIXED_28, LIMITS)).toEqual(
        await preprocessImage(jpeg, FIXED_28, LIMITS),
      );
    });

    it("rejects a PNG whose pixel data fails its CRC as INVALID_IMAGE", async () => {
      const png = Buffer.from(await solidPng(32, 32, [10, 200, 30]));
      const idat = png.indexOf("IDAT");
      const crcAt = idat + 4 + png.readUInt32BE(idat - 4);
      png.writeUInt8(png.readUInt8(crcAt) ^ 0xff, crcAt);
      await expectUserError(preprocessImage(png, FIXED_28, LIMITS), "INVALID_IMAGE");
    });

    it("rejects a truncated PNG as INVALID_IMAGE", async () => {
      const png = await rawImage(64, 64, 3, (x, y) => [x * 4, y * 4, (x * y) % 256])
        .png()
        .toBuffer();
      await expectUserError(
        preprocessImage(png.subarray(0, Math.floor(png.length * 0.6)), FIXED_28, LIMITS),
        "INVALID_IMAGE",
      );
    });

    it("keeps the decoder's own pixel limit behind the header check", async () => {
      const bytes = await solidPng(64, 48, [1, 2, 3]);
      const info = await inspectImage(bytes, LIMITS);
      const tight = { ...LIMITS, maxPixels: 64 * 48 - 1 };
      await expectUserError(preprocessImage(bytes, FIXED_28, tight, info), "IMAGE_TOO_LARGE");
      await expectUserError(preprocessImage(bytes, FIXED_28, tight), "IMAGE_TOO_LARGE");
      const exact = { ...LIMITS, maxPixels: 64 * 48 };
      expect((await preprocessImage(bytes, FIXED_28, exact)).length).toBe(3 * 28 * 28);
    });

    it("decodes only the first frame of an animated image", async () => {
      const red = await solidPng(32, 32, [255, 0, 0]);
      const blue = await solidPng(32, 32, [0, 0, 255]);
      const spec = rawSpec(8, 8);
      for (const format of ["gif", "webp"] as const) {
        const animated = await sharp([red, blue], { join: { animated: true } })
          [format]({ delay: 100 })
          .toBuffer();
        expect((await sharp(animated).metadata()).pages, format).toBe(2);
        expect(await inspectImage(animated, LIMITS)).toMatchObject({ width: 32, height: 32 });
        const tensor = await preprocessImage(animated, spec, LIMITS);
        expect(tensor.length).toBe(3 * 8 * 8);
        expect(at(tensor, spec, 0, 4, 4), format).toBeGreaterThan(0.9);
        expect(at(tensor, spec, 2, 4, 4), format).toBeLessThan(0.1);
      }
    });
  });
});

describe("inspectImage", () => {
  it("reports size, format and byte count", async () => {
    const bytes = await solidPng(64, 48, [1, 2, 3]);
    expect(await inspectImage(bytes, LIMITS)).toEqual({
      width: 64,
      height: 48,
      format: "png",
      bytes: bytes.byteLength,
    });
  });

  it("rejects empty bytes as EMPTY_FILE", async () => {
    await expectUserError(inspectImage(new Uint8Array(0), LIMITS), "EMPTY_FILE");
  });

  it("rejects random bytes as INVALID_IMAGE", async () => {
    let seed = 12345;
    const bytes = new Uint8Array(4096).map(() => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed >>> 16;
    });
    const error = await expectUserError(inspectImage(bytes, LIMITS), "INVALID_IMAGE");
    expect(error.extensions).toMatchObject({ code: "INVALID_IMAGE", http: { status: 400 } });
  });

  it("rejects an SVG as UNSUPPORTED_IMAGE_FORMAT", async () => {
    const svg = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100" fill="red"/></svg>',
    );
    const error = await expectUserError(inspectImage(svg, LIMITS), "UNSUPPORTED_IMAGE_FORMAT");
    expect(error.message).toContain('"svg"');
    expect(error.extensions).toMatchObject({ http: { status: 415 } });
  });

  it("rejects a side shorter than minSide as IMAGE_TOO_SMALL", async () => {
    await expectUserError(inspectImage(await solidPng(1, 1, [0, 0, 0]), LIMITS), "IMAGE_TOO_SMALL");
    await expectUserError(
      inspectImage(await solidPng(7, 100, [0, 0, 0]), LIMITS),
      "IMAGE_TOO_SMALL",
    );
    expect(await inspectImage(await solidPng(8, 8, [0, 0, 0]), LIMITS)).toMatchObject({
      width: 8,
      height: 8,
    });
  });

  it("rejects more pixels than maxPixels as IMAGE_TOO_LARGE, and accepts exactly maxPixels", async () => {
    const bytes = await solidPng(64, 48, [0, 0, 0]);
    await expectUserError(
      inspectImage(bytes, { ...LIMITS, maxPixels: 64 * 48 - 1 }),
      "IMAGE_TOO_LARGE",
    );
    expect(await inspectImage(bytes, { ...LIMITS, maxPixels: 64 * 48 })).toMatchObject({
      width: 64,
    });
  });

  it("rejects a side longer than maxSide as IMAGE_TOO_LARGE, whatever the pixel count", async () => {
    const strip = await solidPng(4000, 8, [0, 0, 0]);
    const error = await expectUserError(
      inspectImage(strip, { ...LIMITS, maxSide: 3999 }),
      "IMAGE_TOO_LARGE",
    );
    expect(error.message).toContain("at most 3999");
    expect(await inspectImage(strip, { ...LIMITS, maxSide: 4000 })).toMatchObject({ width: 4000 });
  });

  it("reads the format from the bytes: refuses TIFF, PDF and BMP before sharp sees them", async () => {
    const tiff = await solidPng(16, 16, [0, 0, 0]).then((png) => sharp(png).tiff().toBuffer());
    // sharp would decode this TIFF; the service does not accept the format.
    expect((await sharp(tiff).metadata()).format).toBe("tiff");
    const refused = await expectUserError(inspectImage(tiff, LIMITS), "UNSUPPORTED_IMAGE_FORMAT");
    expect(refused.message).toContain('"tiff"');
    await expectUserError(
      inspectImage(new TextEncoder().encode("%PDF-1.7\n%âãÏÓ\n"), LIMITS),
      "UNSUPPORTED_IMAGE_FORMAT",
    );
    const bmp = Buffer.alloc(70);
    bmp.write("BM");
    bmp.writeUInt32LE(40, 14);
    await expectUserError(inspectImage(bmp, LIMITS), "UNSUPPORTED_IMAGE_FORMAT");
    await expectUserError(
      inspectImage(new TextEncoder().encode("BMW owners' manual"), LIMITS),
      "INVALID_IMAGE",
    );
  });

  it("reports AVIF as avif", async () => {
    const avif = await solidPng(16, 16, [0, 0, 0]).then((png) => sharp(png).avif().toBuffer());
    expect(await inspectImage(avif, LIMITS)).toMatchObject({ format: "avif", width: 16 });
  });

  describe("a header claiming 20000×20000 is IMAGE_TOO_LARGE without decoding", () => {
    it("PNG (IHDR patched, CRC recomputed)", async () => {
      const png = Buffer.from(await solidPng(16, 16, [18, 52, 86]));
      expect(png.toString("latin1", 12, 16)).toBe("IHDR");
      png.writeUInt32BE(20_000, 16);
      png.writeUInt32BE(20_000, 20);
      png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
      // The pixel data is still 16×16's, so decoding the claimed size is impossible.
      await expect(sharp(png, { limitInputPixels: false }).raw().toBuffer()).rejects.toThrow();

      const error = await expectUserError(inspectImage(png, LIMITS), "IMAGE_TOO_LARGE");
      expect(error.message).toContain("20000×20000");
      expect(error.extensions).toMatchObject({ http: { status: 413 } });
    });

    it("JPEG (SOF0 patched)", async () => {
      const jpeg = Buffer.from(
        await sharp({ create: { width: 16, height: 16, channels: 3, background: "#123456" } })
          .jpeg()
          .toBuffer(),
      );
      const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
      expect(sof).toBeGreaterThan(0);
      // FFC0, length (2), precision (1), height (2), width (2).
      jpeg.writeUInt16BE(20_000, sof + 5);
      jpeg.writeUInt16BE(20_000, sof + 7);
      expect(await sharp(jpeg, { limitInputPixels: false }).metadata()).toMatchObject({
        width: 20_000,
        height: 20_000,
      });

      const error = await expectUserError(inspectImage(jpeg, LIMITS), "IMAGE_TOO_LARGE");
      expect(error.message).toContain("20000×20000");
    });
  });
});
