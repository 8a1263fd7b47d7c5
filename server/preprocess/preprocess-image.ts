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
  const resized = spec.resize ? resizedSize(displayed.width, displayed.height, spec.resize) : null;
  const { width, height } = resized ?? displayed;
  const crop = spec.crop && {
    left: Math.floor((width - spec.crop.width) / 2),
    top: Math.floor((height - spec.crop.height) / 2),
    width: spec.crop.width,
    height: spec.crop.height,
  };
  const { data, info: out } = await decodePixels(bytes, limits, (decoded) => {
    let image = decoded.rotate().flatten({ background: WHITE }).toColourspace("srgb");
    if (resized) image = image.resize(width, height, { kernel: spec.kernel, fit: "fill" });
    if (crop) image = image.extract(crop);
    return image.removeAlpha();
  });
  if (out.channels !== 3) throw new Error(`expected 3 channels, got ${out.channels}`);
  return toNormalisedChw(data, spec);
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
