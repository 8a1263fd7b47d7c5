import sharp from "sharp";
import type { CorpusKind } from "./corpus-kind.ts";
import {
  animated,
  exifOriented,
  file,
  jpegOf,
  label,
  upload,
  utf8,
  withTransparentCorner,
} from "./image-builders.ts";
import { jpegWithSamsungScanHeader, zipFile } from "./image-bytes.ts";
import { fromPixels, source, sourcePixels } from "./sources.ts";

/**
 * Uploads that are odd but valid images: each must be classified as the image it shows, with
 * the size and format the client would see.
 */

const HTML_TAIL = `<!DOCTYPE html><html><body><script>alert(1)</script></body></html>`;

const EXIF_ORIENTATIONS = [1, 2, 3, 4, 5, 6, 7, 8].map((orientation) =>
  upload(
    `EXIF-rotated JPEG, orientation ${orientation}`,
    async () => file(await exifOriented(orientation), `rotated-${orientation}.jpg`, "image/jpeg"),
    // Whatever the orientation, the client sees the displayed size: stored 128×112 for 5–8.
    label("bag", { width: 112, height: 128, format: "jpeg" }),
  ),
);

export const ODD_IMAGE_KINDS: readonly CorpusKind[] = [
  // Odd but valid: each must be read as the image it is.
  upload(
    "CMYK JPEG",
    async () =>
      file(
        await fromPixels(await sourcePixels("pullover", 4))
          .toColourspace("cmyk")
          .jpeg({ quality: 95 })
          .toBuffer(),
        "cmyk.jpg",
        "image/jpeg",
      ),
    label("pullover", { format: "jpeg" }),
  ),
  upload(
    "16-bit PNG",
    async () =>
      file(
        await fromPixels(await sourcePixels("sneaker", 4))
          .toColourspace("rgb16")
          .png()
          .toBuffer(),
        "16.png",
        "image/png",
      ),
    label("sneaker", { format: "png" }),
  ),
  upload(
    "greyscale + alpha PNG",
    async () =>
      file(
        await (await withTransparentCorner("trouser", true)).png().toBuffer(),
        "ga.png",
        "image/png",
      ),
    label("trouser"),
  ),
  upload(
    "palette PNG with transparency",
    async () =>
      file(
        await (await withTransparentCorner("dress", false)).png({ palette: true }).toBuffer(),
        "pal.png",
        "image/png",
      ),
    label("dress"),
  ),
  upload(
    "JPEG with the scan header Samsung cameras write",
    async () =>
      file(jpegWithSamsungScanHeader(await jpegOf("sneaker")), "20240611_101500.jpg", "image/jpeg"),
    label("sneaker", { format: "jpeg" }),
  ),
  ...EXIF_ORIENTATIONS,
  upload(
    "animated GIF (first frame is classified)",
    async () => file(await animated("gif", "coat", "trouser"), "anim.gif", "image/gif"),
    label("coat", { width: 112, height: 112, format: "gif" }),
  ),
  upload(
    "animated WebP (first frame is classified)",
    async () => file(await animated("webp", "coat", "trouser"), "anim.webp", "image/webp"),
    label("coat", { width: 112, height: 112, format: "webp" }),
  ),
  upload(
    "AVIF",
    async () =>
      file(
        await fromPixels(await sourcePixels("sneaker", 4))
          .avif()
          .toBuffer(),
        "a.avif",
        "image/avif",
      ),
    label("sneaker", { format: "avif" }),
  ),

  // The name and the content type are the client's claims; only the bytes count.
  upload(
    "PNG named .jpg sent as image/svg+xml",
    async () => file(source("bag").bytes, "photo.jpg", "image/svg+xml"),
    label("bag", { width: 28, height: 28, format: "png" }),
  ),
  upload(
    "JPEG named .gif sent as text/html",
    async () => file(await jpegOf("coat"), "picture.gif", "text/html"),
    label("coat", { format: "jpeg" }),
  ),
  upload(
    "JPEG with a ZIP appended (polyglot)",
    async () =>
      file(
        Buffer.concat([await jpegOf("ankleBoot"), zipFile("x.js", "alert(1)")]),
        "p.jpg",
        "image/jpeg",
      ),
    label("ankleBoot", { format: "jpeg" }),
  ),
  upload(
    "JPEG with HTML appended (polyglot)",
    async () =>
      file(Buffer.concat([await jpegOf("ankleBoot"), utf8(HTML_TAIL)]), "p.jpg", "image/jpeg"),
    label("ankleBoot", { format: "jpeg" }),
  ),
  upload(
    "GIF that is also JavaScript (polyglot)",
    async () => {
      // "GIF89a/*" ... "*/=1;alert(1)": the logical-screen width bytes open a JS comment.
      const gif = Buffer.from(await sharp(source("pullover").bytes).gif().toBuffer());
      gif.write("/*", 6, "latin1");
      return file(Buffer.concat([gif, utf8("*/=1;alert(1);//")]), "x.gif", "image/gif");
    },
    label("pullover", { format: "gif" }),
  ),
];
