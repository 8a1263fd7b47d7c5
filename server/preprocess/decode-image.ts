import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import { invalidImage, UserError, unsupportedFormat } from "../errors/user-error.ts";
import { type DecodableFormat, sniffFormat } from "./sniff-format.ts";

export interface ImageLimits {
  /** Largest width × height accepted. */
  maxPixels: number;
  /** Largest width or height accepted: bounds the aspect ratio a shortest-edge resize blows up. */
  maxSide: number;
  /** Smallest width or height accepted. */
  minSide: number;
}

/** What the service tells a client about the image it sent (orientation applied). */
export interface ImageInfo {
  width: number;
  height: number;
  format: DecodableFormat;
  bytes: number;
}

/** The name sharp's metadata gives each decodable format (AVIF is a HEIF profile to libheif). */
const SHARP_FORMAT: Record<DecodableFormat, string> = {
  jpeg: "jpeg",
  png: "png",
  gif: "gif",
  webp: "webp",
  avif: "heif",
};

/**
 * libjpeg warnings that real cameras' files raise although no pixel is lost: such a file is
 * decoded again with failOn "error". Samsung phone cameras write progressive-style scan
 * parameters into baseline JPEGs, which libjpeg reports and then decodes whole (sharp#1578).
 */
const HARMLESS_JPEG_WARNINGS = ["Invalid SOS parameters for sequential JPEG"];

export interface DecodedPixels {
  data: Buffer;
  info: OutputInfo;
}

/**
 * Decodes untrusted bytes to raw pixels through `pipeline` (resize, crop, ...). Every pixel
 * decode goes through here:
 * - failOn "warning" (sharp's advice for untrusted input): "truncated" already rejects a cut
 *   JPEG or PNG and "error" a PNG with a bad CRC, but a JPEG whose scan stops early and is closed
 *   with an end marker is only a libjpeg warning, decoded as half an image on grey; the
 *   warnings known to be harmless are let through by a second decode at "error".
 * - limitInputPixels: the header check's limit again, in the decoder itself.
 * - pages 1: the first frame of an animated GIF or WebP, never the whole strip.
 * sharp's errors become INVALID_IMAGE (or IMAGE_TOO_LARGE past the pixel limit) here.
 */
export async function decodePixels(
  bytes: Uint8Array,
  limits: ImageLimits,
  pipeline: (image: Sharp) => Sharp,
): Promise<DecodedPixels> {
  const decode = (failOn: "warning" | "error") =>
    pipeline(sharp(bytes, { failOn, limitInputPixels: limits.maxPixels, pages: 1 }))
      .raw()
      .toBuffer({ resolveWithObject: true });
  try {
    return await decode("warning");
  } catch (error) {
    if (!HARMLESS_JPEG_WARNINGS.some((warning) => reason(error).includes(warning))) {
      throw decodeError(error, limits);
    }
  }
  try {
    return await decode("error");
  } catch (error) {
    throw decodeError(error, limits);
  }
}

function decodeError(error: unknown, limits: ImageLimits): UserError {
  const why = reason(error);
  if (why.includes("exceeds pixel limit")) {
    return new UserError("IMAGE_TOO_LARGE", `the image has more than ${limits.maxPixels} pixels`);
  }
  return invalidImage(`the image could not be decoded: ${why}`);
}

function reason(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}

/**
 * Reads the image header and rejects what must not be decoded, before any pixel is touched:
 * empty, not an image, a format not accepted, too small or too big. The format comes from the
 * bytes (see sniff-format.ts); only accepted formats reach sharp, whose errors are translated
 * here, where they enter.
 */
export async function inspectImage(bytes: Uint8Array, limits: ImageLimits): Promise<ImageInfo> {
  if (bytes.byteLength === 0) throw new UserError("EMPTY_FILE", "the file is empty");
  const sniffed = sniffFormat(bytes);
  if (sniffed.kind === "unknown") throw invalidImage("the file is not an image");
  if (sniffed.kind === "unsupported") throw unsupportedFormat(sniffed.format);
  const format = sniffed.format;

  let metadata: Metadata;
  try {
    // No pixel limit here: the header is read to report a bomb's size, never to decode it.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw invalidImage(`the file starts like a ${format} image but its header is corrupt`);
  }
  if (metadata.format !== SHARP_FORMAT[format]) {
    throw invalidImage(`the file starts like a ${format} image but decodes as ${metadata.format}`);
  }
  // Some HEIF files carry an "avif" brand beside HEVC-coded images, which libheif here cannot decode.
  if (format === "avif" && metadata.compression !== "av1") throw unsupportedFormat("heic");
  const { width, height } = metadata;
  if (!width || !height) throw invalidImage("the image has no dimensions");
  checkSize(width, height, limits);

  // EXIF orientations 5–8 rotate by 90°, swapping what the client will see as width and height.
  const swapped = (metadata.orientation ?? 1) >= 5;
  return {
    width: swapped ? height : width,
    height: swapped ? width : height,
    format,
    bytes: bytes.byteLength,
  };
}

function checkSize(width: number, height: number, limits: ImageLimits) {
  const size = `the image is ${width}×${height} pixels`;
  if (width * height > limits.maxPixels) {
    throw new UserError("IMAGE_TOO_LARGE", `${size}; the limit is ${limits.maxPixels} pixels`);
  }
  if (Math.max(width, height) > limits.maxSide) {
    throw new UserError("IMAGE_TOO_LARGE", `${size}; each side must be at most ${limits.maxSide}`);
  }
  if (Math.min(width, height) < limits.minSide) {
    throw new UserError("IMAGE_TOO_SMALL", `${size}; each side must be at least ${limits.minSide}`);
  }
}
