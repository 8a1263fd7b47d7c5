import { invalidImage, UserError } from "../errors.ts";
import { type ImageInfo, type ImageLimits, inspectImage, openImage } from "./decode-image.ts";
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
  let { width, height } = info ?? (await inspectImage(bytes, limits));
  let pixels: Buffer;
  try {
    let image = openImage(bytes, limits)
      .rotate()
      .flatten({ background: WHITE })
      .toColourspace("srgb");
    if (spec.resize) {
      ({ width, height } = resizedSize(width, height, spec.resize));
      image = image.resize(width, height, { kernel: spec.kernel, fit: "fill" });
    }
    if (spec.crop) {
      const crop = spec.crop;
      image = image.extract({
        left: Math.floor((width - crop.width) / 2),
        top: Math.floor((height - crop.height) / 2),
        width: crop.width,
        height: crop.height,
      });
    }
    const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    pixels = data;
  } catch (error) {
    const reason = describe(error);
    if (reason.includes("exceeds pixel limit")) {
      throw new UserError("IMAGE_TOO_LARGE", `the image has more than ${limits.maxPixels} pixels`);
    }
    throw invalidImage(`the image could not be decoded: ${reason}`);
  }
  return toNormalisedChw(pixels, spec);
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

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}
