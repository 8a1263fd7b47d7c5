import sharp from "sharp";
import { multipartRequest } from "./multipart.ts";
import { CLASSIFY } from "./test-app.ts";

/**
 * A photo-sized image of gaussian noise: noise barely compresses, so its file is close to its
 * pixels' size (a 3600×3600 JPEG at quality 95 is ~10 MB; a PNG ~39 MB, past the default
 * UPLOAD_MAX_BYTES). Encoding one takes seconds: make it once, then `distinctCopy` per request.
 */
export async function noiseImage(
  width: number,
  height: number,
  format: "jpeg" | "png",
): Promise<Buffer> {
  const image = sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: 128, g: 128, b: 128 },
      noise: { type: "gaussian", mean: 128, sigma: 60 },
    },
  });
  return format === "jpeg" ? image.jpeg({ quality: 95 }).toBuffer() : image.png().toBuffer();
}

/**
 * The image with `n` appended after its end marker: decoders ignore trailing bytes, but the
 * sha256 differs, so no cache answers it and every copy is decoded.
 */
export function distinctCopy(image: Uint8Array, n: number): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeDoubleBE(n);
  return Buffer.concat([image, trailer]);
}

/** How one upload ended: answered, refused with a typed error, or cut off (no HTTP answer). */
export interface UploadOutcome {
  /** HTTP status, or null when the connection failed before an answer. */
  status: number | null;
  /** The first error's extensions.code; null for an answer without errors. */
  code: string | null;
  /** The connection error, when there was no answer. */
  failure: string | null;
}

/** Sends one classify upload (CNN only) to a running service and reports how it ended. */
export async function sendUpload(baseUrl: string, bytes: Uint8Array): Promise<UploadOutcome> {
  try {
    const response = await fetch(
      multipartRequest(
        CLASSIFY,
        { image: null, options: { vlm: "OFF" } },
        [{ path: "variables.image", bytes }],
        `${baseUrl}/graphql`,
      ),
    );
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    return {
      status: response.status,
      code: body.errors ? (body.errors[0]?.extensions?.code ?? "UNKNOWN") : null,
      failure: null,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: null,
      code: null,
      failure: cause?.code ?? cause?.message ?? String(error),
    };
  }
}
