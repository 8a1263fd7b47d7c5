import sharp, { type Sharp } from "sharp";
import { decodePixels, type ImageInfo, type ImageLimits, inspectImage } from "./decode-image.ts";
import type { PreprocessSpec, ResizeRule } from "./preprocessor-config.ts";

const WHITE = { r: 255, g: 255, b: 255 };

/**
 * Decodes one image and turns it into the float32 CHW tensor a model expects, following its
 * preprocessor config: EXIF orientation, alpha flattened onto white, any colour space to sRGB,
 * resize (Hugging Face's shortest-edge rule), centre crop, rescale, normalise.
 * `info` is what inspectImage found (its checks passed); without it the header is inspected here.
 */
export async function preprocessImage(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  limits: ImageLimits,
  info?: ImageInfo,
): Promise<Float32Array> {
  const displayed = info ?? (await inspectImage(bytes, limits));
  const { data, info: out } = await decodePixels(bytes, limits, (decoded) =>
    toModelInput(toRgb(decoded), displayed, spec),
  );
  if (out.channels !== 3) throw new Error(`expected 3 channels, got ${out.channels}`);
  return toNormalisedChw(data, spec);
}

/** EXIF orientation applied, alpha flattened onto white, any colour space to sRGB. */
function toRgb(decoded: Sharp): Sharp {
  return decoded.rotate().flatten({ background: WHITE }).toColourspace("srgb");
}

/** Resize and centre crop to the spec's input, from an image of `size`; 3 channels out. */
function toModelInput(image: Sharp, size: { width: number; height: number }, spec: PreprocessSpec) {
  const resized = spec.resize ? resizedSize(size.width, size.height, spec.resize) : null;
  const { width, height } = resized ?? size;
  let shaped = image;
  if (resized) shaped = shaped.resize(width, height, { kernel: spec.kernel, fit: "fill" });
  if (spec.crop) {
    shaped = shaped.extract({
      left: Math.floor((width - spec.crop.width) / 2),
      top: Math.floor((height - spec.crop.height) / 2),
      width: spec.crop.width,
      height: spec.crop.height,
    });
  }
  return shaped.removeAlpha();
}

/**
 * One tensor per spec from one decode: the image is decoded once to sRGB pixels, then resized
 * and cropped for each spec, so a second model with its own preprocessing costs a resize, not
 * a second decode. Except where the decoder can shrink while decoding (JPEG and WebP at least
 * twice the largest input): there one small decode per spec costs less than one full-size one.
 */
export async function preprocessImages(
  bytes: Uint8Array,
  specs: readonly PreprocessSpec[],
  limits: ImageLimits,
  info?: ImageInfo,
): Promise<Float32Array[]> {
  const displayed = info ?? (await inspectImage(bytes, limits));
  if (specs.length < 2 || shrinksOnLoad(displayed, specs)) {
    return Promise.all(specs.map((spec) => preprocessImage(bytes, spec, limits, displayed)));
  }
  const { data, info: out } = await decodePixels(bytes, limits, (decoded) =>
    toRgb(decoded).removeAlpha(),
  );
  if (out.channels !== 3) throw new Error(`expected 3 channels, got ${out.channels}`);
  const raw = { width: out.width, height: out.height, channels: 3 } as const;
  return Promise.all(
    specs.map(async (spec) => {
      const shaped = await toModelInput(sharp(data, { raw }), out, spec).raw().toBuffer();
      return toNormalisedChw(shaped, spec);
    }),
  );
}

/** Whether libjpeg (or libwebp) would decode this image at half size or less for every spec. */
function shrinksOnLoad(image: ImageInfo, specs: readonly PreprocessSpec[]): boolean {
  if (image.format !== "jpeg" && image.format !== "webp") return false;
  const shortest = Math.min(image.width, image.height);
  return specs.every((spec) => {
    const rule = spec.resize;
    const target = !rule
      ? shortest
      : "shortestEdge" in rule
        ? rule.shortestEdge
        : Math.min(rule.width, rule.height);
    return shortest >= 2 * target;
  });
}

/** Hugging Face's rule: the shorter side becomes `shortestEdge`, the longer one is floored. */
export function resizedSize(width: number, height: number, rule: ResizeRule) {
  if ("height" in rule) return { width: rule.width, height: rule.height };
  const edge = rule.shortestEdge;
  // Multiply before dividing, as HF's int(edge * long / short) does: edge / short * long can
  // land just below a whole number (299 → 223 instead of 224) and break the centre crop.
  return width <= height
    ? { width: edge, height: Math.floor((edge * height) / width) }
    : { width: Math.floor((edge * width) / height), height: edge };
}

/** HWC uint8 RGB → CHW float32: (value × rescale − mean) / std per channel. */
function toNormalisedChw(pixels: Buffer, spec: PreprocessSpec): Float32Array {
  const area = spec.outputSize.height * spec.outputSize.width;
  if (pixels.length !== area * 3) throw new Error("preprocessed image has the wrong size");
  const out = new Float32Array(area * 3);
  for (let channel = 0; channel < 3; channel++) {
    const scale = spec.rescale / (spec.std[channel] as number);
    const shift = (spec.mean[channel] as number) / (spec.std[channel] as number);
    const base = channel * area;
    for (let i = 0; i < area; i++)
      out[base + i] = (pixels[i * 3 + channel] as number) * scale - shift;
  }
  return out;
}
