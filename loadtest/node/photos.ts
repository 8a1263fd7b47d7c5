import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { uniqueImage } from "../lib/request-mix.js";

/** One photo of a folder the load uploads, as it is on disk. */
export interface Photo {
  file: string;
  bytes: Uint8Array;
  contentType: "image/jpeg" | "image/png";
}

const CONTENT_TYPES: Record<string, Photo["contentType"]> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
};

/** Every JPEG and PNG directly in `dir`, in name order (so runs replay the same sequence). */
export async function loadPhotos(dir: string): Promise<Photo[]> {
  const names = (await readdir(dir)).filter((name) => extname(name).toLowerCase() in CONTENT_TYPES);
  if (names.length === 0) throw new Error(`${dir} holds no .jpg, .jpeg or .png file`);
  names.sort();
  return Promise.all(
    names.map(async (file) => ({
      file,
      bytes: await readFile(join(dir, file)),
      contentType: CONTENT_TYPES[extname(file).toLowerCase()] as Photo["contentType"],
    })),
  );
}

/**
 * The photo with `nonce` written into a comment, so its bytes (and hash) are new while its pixels
 * are not: every upload is a cache miss that costs exactly what the photo costs to decode.
 */
export function uniquePhoto(photo: Photo, nonce: string): Uint8Array {
  return photo.contentType === "image/png"
    ? uniqueImage(photo.bytes, nonce)
    : uniqueJpeg(photo.bytes, nonce);
}

/** A COM segment right after SOI: decoders skip comments, and no marker must precede SOI. */
export function uniqueJpeg(jpeg: Uint8Array, nonce: string): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error("not a JPEG: no SOI marker");
  const text = new TextEncoder().encode(nonce);
  // The length field counts itself and the data, not the marker.
  const length = text.length + 2;
  if (length > 0xffff) throw new Error("the nonce is too long for one JPEG comment");
  const out = new Uint8Array(jpeg.length + 2 + length);
  out.set(jpeg.subarray(0, 2), 0);
  out.set([0xff, 0xfe, length >> 8, length & 0xff], 2);
  out.set(text, 6);
  out.set(jpeg.subarray(2), 6 + text.length);
  return out;
}
