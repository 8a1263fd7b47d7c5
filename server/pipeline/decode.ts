import type { ConcurrencyLimiter } from "../load-control/concurrency-limiter.ts";
import { type ImageInfo, type ImageLimits, inspectImage } from "../preprocess/decode-image.ts";
import { preprocessImages } from "../preprocess/preprocess-image.ts";
import type { PreprocessSpec } from "../preprocess/preprocessor-config.ts";
import { refuseWhenFull } from "./overloaded.ts";

export interface DecodedImage {
  info: ImageInfo;
  /** The model input for `spec`, float32 CHW. */
  tensor: Float32Array;
  /** The input for `secondSpec` from the same decode (CLIP's, when it differs); else null. */
  secondTensor: Float32Array | null;
  decodeMs: number;
}

/**
 * Header checks first (cheap, rejects bombs before decoding), then the real decode. `known` is
 * the header of an image already inspected, when another model needs a tensor of its own.
 * `secondSpec` asks for a second model's input from the same decode (see preprocessImages).
 */
export async function decodeImage(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  limits: ImageLimits,
  known?: ImageInfo,
  secondSpec?: PreprocessSpec,
): Promise<DecodedImage> {
  const started = performance.now();
  const info = known ?? (await inspectImage(bytes, limits));
  const specs = secondSpec ? [spec, secondSpec] : [spec];
  const [tensor, second] = await preprocessImages(bytes, specs, limits, info);
  return {
    info,
    tensor: tensor as Float32Array,
    secondTensor: second ?? null,
    decodeMs: performance.now() - started,
  };
}

export interface DecodeStep {
  limits: ImageLimits;
  /** Decodes running at once, process-wide; past its queue a decode is refused as OVERLOADED. */
  slots: ConcurrencyLimiter;
}

/** decodeImage within the step's decode slots; `decodeMs` excludes the wait for a slot. */
export function createBoundedDecode({ limits, slots }: DecodeStep) {
  return (
    bytes: Uint8Array,
    spec: PreprocessSpec,
    known?: ImageInfo,
    secondSpec?: PreprocessSpec,
  ) =>
    refuseWhenFull("too many images are waiting to be decoded", () =>
      slots.run(() => decodeImage(bytes, spec, limits, known, secondSpec)),
    );
}
