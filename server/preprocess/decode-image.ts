import sharp, { type Metadata } from "sharp";
import { invalidImage, UserError, unsupportedFormat } from "../errors.ts";

/** Formats a model can see; vector and document formats can reference files and networks. */
const ALLOWED_FORMATS = new Set(["jpeg", "png", "webp", "gif", "avif", "heif", "tiff"]);

export interface ImageLimits {
  /** Largest width × height accepted. */
  maxPixels: number;
  /** Smallest width or height accepted. */
  minSide: number;
}

/** What the service tells a client about the image it sent (orientation applied). */
export interface ImageInfo {
  width: number;
  height: number;
  format: string;
  bytes: number;
}

/**
 * Reads the image header and rejects what must not be decoded, before any pixel is touched:
 * empty, not an image, a disallowed format, too small or too big.
 * sharp's own errors are translated here, where they enter.
 */
export async function inspectImage(bytes: Uint8Array, limits: ImageLimits): Promise<ImageInfo> {
  if (bytes.byteLength === 0) throw new UserError("EMPTY_FILE", "the file is empty");
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw invalidImage("the file is not an image that can be decoded");
  }
  const { format, width, height } = metadata;
  if (!ALLOWED_FORMATS.has(format)) throw unsupportedFormat(format);
  if (!width || !height) throw invalidImage("the image has no dimensions");
  // EXIF orientations 5–8 rotate by 90°, swapping what the client will see as width and height.
  const swapped = (metadata.orientation ?? 1) >= 5;
  const info: ImageInfo = {
    width: swapped ? height : width,
    height: swapped ? width : height,
    format,
    bytes: bytes.byteLength,
  };
  if (width * height > limits.maxPixels) {
    throw new UserError(
      "IMAGE_TOO_LARGE",
      `the image is ${width}×${height} pixels; the limit is ${limits.maxPixels} pixels`,
    );
  }
  if (Math.min(width, height) < limits.minSide) {
    throw new UserError(
      "IMAGE_TOO_SMALL",
      `the image is ${width}×${height} pixels; each side must be at least ${limits.minSide}`,
    );
  }
  return info;
}
