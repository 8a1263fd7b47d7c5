import { type ImageInfo, type ImageLimits, inspectImage } from "../preprocess/decode-image.ts";
import { preprocessImage } from "../preprocess/preprocess-image.ts";
import type { PreprocessSpec } from "../preprocess/preprocessor-config.ts";

export interface DecodedImage {
  info: ImageInfo;
  /** The model input for `spec`, float32 CHW. */
  tensor: Float32Array;
  decodeMs: number;
}

/** Header checks first (cheap, rejects bombs before decoding), then the real decode. */
export async function decodeImage(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  limits: ImageLimits,
): Promise<DecodedImage> {
  const started = performance.now();
  const info = await inspectImage(bytes, limits);
  const tensor = await preprocessImage(bytes, spec, limits);
  return { info, tensor, decodeMs: performance.now() - started };
}
