import { gzipSync } from "node:zlib";
import { seededRandom } from "../seeded-random.ts";
import { CORPUS_LIMITS, type CorpusKind } from "./corpus-kind.ts";
import { file, jpegOf, pngOf, upload, utf8 } from "./image-builders.ts";
import {
  bmpFile,
  heicHeader,
  icoFile,
  ihdr,
  jpegClaimingSize,
  jpegCutMidScan,
  pngFile,
  withBadIdatCrc,
  zipFile,
  zlibBombPng,
} from "./image-bytes.ts";
import { fromPixels, source, sourcePixels } from "./sources.ts";

/** Uploads that are not images, are broken, are too small or too large, or are refused formats. */

const SVG_HTTP = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">
  <image xlink:href="http://169.254.169.254/latest/meta-data/" width="64" height="64"/>
</svg>`;
const SVG_FILE = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">
  <image xlink:href="file:///etc/passwd" width="64" height="64"/>
</svg>`;
const SVG_XXE = `<?xml version="1.0"?>
<!DOCTYPE svg [ <!ENTITY secret SYSTEM "file:///etc/hostname"> ]>
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><text y="20">&secret;</text></svg>`;
const SVG_PLAIN = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>`;
const PDF = `%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 64 64] >> endobj
trailer << /Root 1 0 R >>
%%EOF
`;
const HTML = `<!DOCTYPE html><html><head><title>not an image</title></head><body><script>alert(1)</script></body></html>`;
const HTML_WITH_SVG = `<!DOCTYPE html><html><body><svg width="10" height="10"><rect width="10" height="10"/></svg></body></html>`;

export const BAD_IMAGE_KINDS: readonly CorpusKind[] = [
  // Not images at all.
  upload("empty file", async () => file(new Uint8Array(0), "empty.png", "image/png"), {
    code: "EMPTY_FILE",
  }),
  upload("plain text", async () => file(utf8("plain text, no image"), "a.txt", "text/plain"), {
    code: "INVALID_IMAGE",
  }),
  upload("random bytes", async () => file(seededRandom(7).bytes(4096), "x.jpg", "image/jpeg"), {
    code: "INVALID_IMAGE",
  }),
  upload("an HTML page", async () => file(utf8(HTML), "page.png", "image/png"), {
    code: "INVALID_IMAGE",
  }),
  upload(
    "an HTML page with inline SVG",
    async () => file(utf8(HTML_WITH_SVG), "p.svg", "image/svg+xml"),
    {
      code: "INVALID_IMAGE",
    },
  ),
  upload(
    "a ZIP archive",
    async () => file(zipFile("a.txt", "hello"), "photo.zip", "application/zip"),
    {
      code: "INVALID_IMAGE",
    },
  ),
  upload(
    "gzip-compressed SVG (svgz)",
    async () => file(gzipSync(utf8(SVG_PLAIN)), "a.svgz", "image/svg+xml"),
    { code: "INVALID_IMAGE" },
  ),

  // Broken images: the header promises an image, the rest does not deliver it.
  upload(
    "truncated JPEG",
    async () => {
      const jpeg = await jpegOf("trouser");
      return file(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), "cut.jpg", "image/jpeg");
    },
    { code: "INVALID_IMAGE" },
  ),
  upload(
    "JPEG cut mid-scan and closed with an end marker",
    async () => file(jpegCutMidScan(await jpegOf("trouser")), "half.jpg", "image/jpeg"),
    { code: "INVALID_IMAGE" },
  ),
  upload(
    "truncated PNG",
    async () => {
      const png = await pngOf("coat");
      return file(png.subarray(0, Math.floor(png.length * 0.6)), "cut.png", "image/png");
    },
    { code: "INVALID_IMAGE" },
  ),
  upload(
    "PNG with a bad CRC",
    async () => file(withBadIdatCrc(await pngOf("coat")), "crc.png", "image/png"),
    { code: "INVALID_IMAGE" },
  ),
  upload(
    "PNG header without pixel data",
    async () => file(pngFile(ihdr(64, 64)), "header.png", "image/png"),
    { code: "INVALID_IMAGE" },
  ),
  upload(
    "JPEG start marker then garbage",
    async () =>
      file(
        Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), seededRandom(3).bytes(512)]),
        "g.jpg",
        "image/jpeg",
      ),
    { code: "INVALID_IMAGE" },
  ),
  upload("GIF signature only", async () => file(utf8("GIF89a"), "a.gif", "image/gif"), {
    code: "INVALID_IMAGE",
  }),
  upload(
    "PNG signature in front of a JPEG",
    async () => {
      const jpeg = await jpegOf("sneaker");
      return file(
        Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), jpeg]),
        "m.png",
        "image/png",
      );
    },
    { code: "INVALID_IMAGE" },
  ),

  // Sizes.
  upload(
    "1×1 image",
    async () =>
      file(
        await fromPixels({ data: Buffer.alloc(3), width: 1, height: 1, channels: 3 })
          .png()
          .toBuffer(),
        "dot.png",
        "image/png",
      ),
    {
      code: "IMAGE_TOO_SMALL",
    },
  ),
  upload(
    "65535×8 image (longer side past IMAGE_MAX_SIDE)",
    async () => file(zlibBombPng(65_535, 8), "strip.png", "image/png"),
    { code: "IMAGE_TOO_LARGE" },
  ),
  upload(
    "PNG decompression bomb (100000×100000 declared, kilobytes sent)",
    async () => file(zlibBombPng(100_000, 100_000, 10), "bomb.png", "image/png"),
    { code: "IMAGE_TOO_LARGE" },
  ),
  upload(
    "JPEG whose frame header claims 20000×20000",
    async () =>
      file(jpegClaimingSize(await jpegOf("dress"), 20_000, 20_000), "big.jpg", "image/jpeg"),
    { code: "IMAGE_TOO_LARGE" },
  ),
  upload(
    "PNG inflating to 36 MB within the pixel limit (6000×6000)",
    async () => file(zlibBombPng(6000, 6000), "black.png", "image/png"),
    // All black: no right label, but decoded whole and answered.
    { label: null, image: { width: 6000, height: 6000, format: "png" } },
  ),
  upload(
    "file one byte over UPLOAD_MAX_BYTES",
    async () => {
      const png = await pngOf("coat");
      const padded = Buffer.alloc(CORPUS_LIMITS.uploadMaxBytes + 1);
      png.copy(padded);
      return file(padded, "huge.png", "image/png");
    },
    { code: "FILE_TOO_LARGE" },
  ),

  // Formats refused by name.
  upload(
    "SVG referencing an http URL",
    async () => file(utf8(SVG_HTTP), "a.svg", "image/svg+xml"),
    {
      code: "UNSUPPORTED_IMAGE_FORMAT",
    },
  ),
  upload(
    "SVG referencing a file:// URL",
    async () => file(utf8(SVG_FILE), "a.svg", "image/svg+xml"),
    {
      code: "UNSUPPORTED_IMAGE_FORMAT",
    },
  ),
  upload(
    "SVG with an external entity (XXE)",
    async () => file(utf8(SVG_XXE), "a.svg", "image/svg+xml"),
    {
      code: "UNSUPPORTED_IMAGE_FORMAT",
    },
  ),
  upload("PDF", async () => file(utf8(PDF), "scan.pdf", "application/pdf"), {
    code: "UNSUPPORTED_IMAGE_FORMAT",
  }),
  upload(
    "TIFF",
    async () =>
      file(
        await fromPixels(await sourcePixels("bag", 4))
          .tiff()
          .toBuffer(),
        "scan.tif",
        "image/tiff",
      ),
    { code: "UNSUPPORTED_IMAGE_FORMAT" },
  ),
  upload("BMP", async () => file(bmpFile(await sourcePixels("bag", 1)), "a.bmp", "image/bmp"), {
    code: "UNSUPPORTED_IMAGE_FORMAT",
  }),
  upload(
    "ICO",
    async () => file(icoFile(source("bag").bytes, 28, 28), "favicon.ico", "image/x-icon"),
    {
      code: "UNSUPPORTED_IMAGE_FORMAT",
    },
  ),
  upload("HEIC (HEVC-coded HEIF)", async () => file(heicHeader(), "IMG_0001.HEIC", "image/heic"), {
    code: "UNSUPPORTED_IMAGE_FORMAT",
  }),
  upload(
    "SVG named .png sent as image/png",
    async () => file(utf8(SVG_PLAIN), "photo.png", "image/png"),
    { code: "UNSUPPORTED_IMAGE_FORMAT" },
  ),
];
