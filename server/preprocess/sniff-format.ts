/**
 * What an upload is, from its first bytes alone. The filename and the part's content type are
 * the client's claims and are never read: a PNG named photo.jpg sent as image/svg+xml is a PNG.
 *
 * Only the decodable formats go on to sharp (`decodable`); everything else is refused before
 * libvips sees a byte, so none of its other loaders (SVG, TIFF, PDF, ...) is ever reachable from
 * an upload, whatever sharp's build happens to include.
 */
export type SniffedFormat =
  | { kind: "decodable"; format: DecodableFormat }
  /** A known image or document format the service does not accept. */
  | { kind: "unsupported"; format: string }
  /** Not an image format at all (text, HTML, an archive, random bytes). */
  | { kind: "unknown" };

/**
 * The raster formats of phones, cameras and browsers. TIFF is left out on purpose: it is a
 * document container (multi-page, sub-IFDs, tiles, a dozen codecs from LZW to JBIG and old-style
 * JPEG) with the longest decoder CVE history of the lot, browsers do not upload it, and a scan
 * that needs classifying can be sent as PNG or JPEG.
 */
export type DecodableFormat = "jpeg" | "png" | "gif" | "webp" | "avif";

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...bytes.subarray(start, end));

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0) =>
  bytes.length >= at + signature.length && signature.every((byte, i) => bytes[at + i] === byte);

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];

/**
 * Image and document formats recognised only to name them in the refusal. BMP and ICO are
 * plain rasters, but sharp's libvips has no loader for them; a client can send them as PNG.
 */
const UNSUPPORTED: readonly { format: string; signature: readonly number[]; at?: number }[] = [
  { format: "tiff", signature: [0x49, 0x49, 0x2a, 0x00] },
  { format: "tiff", signature: [0x4d, 0x4d, 0x00, 0x2a] },
  { format: "bigtiff", signature: [0x49, 0x49, 0x2b, 0x00] },
  { format: "ico", signature: [0x00, 0x00, 0x01, 0x00] },
  { format: "cur", signature: [0x00, 0x00, 0x02, 0x00] },
  { format: "pdf", signature: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { format: "postscript", signature: [0x25, 0x21, 0x50, 0x53] }, // %!PS
  { format: "psd", signature: [0x38, 0x42, 0x50, 0x53] }, // 8BPS
  { format: "jp2", signature: [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20] },
  { format: "j2k", signature: [0xff, 0x4f, 0xff, 0x51] },
  { format: "jxl", signature: [0xff, 0x0a] },
  { format: "jxl", signature: [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20] },
  { format: "qoi", signature: [0x71, 0x6f, 0x69, 0x66] }, // qoif
  { format: "exr", signature: [0x76, 0x2f, 0x31, 0x01] },
  { format: "fits", signature: [0x53, 0x49, 0x4d, 0x50, 0x4c, 0x45, 0x20, 0x20] }, // SIMPLE
  { format: "hdr", signature: [0x23, 0x3f, 0x52, 0x41, 0x44, 0x49, 0x41, 0x4e] }, // #?RADIAN
];

// HEIF brands: AV1-coded (AVIF) decodes with sharp's libheif; HEVC-coded (HEIC) does not.
const AVIF_BRANDS = new Set(["avif", "avis"]);
const HEIF_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"]);

/** Sniffs the format from the magic numbers at the start of the bytes. */
export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  if (startsWith(bytes, PNG)) return decodable("png");
  if (startsWith(bytes, JPEG)) return decodable("jpeg");
  const head = ascii(bytes, 0, 12);
  if (head.startsWith("GIF87a") || head.startsWith("GIF89a")) return decodable("gif");
  if (head.startsWith("RIFF") && head.slice(8, 12) === "WEBP") return decodable("webp");
  if (head.slice(4, 8) === "ftyp") return isoMediaFormat(bytes);
  for (const { format, signature, at } of UNSUPPORTED) {
    if (startsWith(bytes, signature, at)) return { kind: "unsupported", format };
  }
  if (looksLikeBmp(bytes)) return { kind: "unsupported", format: "bmp" };
  if (looksLikeSvg(bytes)) return { kind: "unsupported", format: "svg" };
  if (/^P[1-7]\s/.test(ascii(bytes, 0, 3))) return { kind: "unsupported", format: "pnm" };
  return { kind: "unknown" };
}

function decodable(format: DecodableFormat): SniffedFormat {
  return { kind: "decodable", format };
}

/** ISO base media (HEIF, AVIF, MP4): the `ftyp` box's major and compatible brands. */
function isoMediaFormat(bytes: Uint8Array): SniffedFormat {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxSize = bytes.length >= 4 ? view.getUint32(0) : 0;
  const end = Math.min(bytes.length, Math.max(16, boxSize));
  const brands = [ascii(bytes, 8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, at + 4));
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return decodable("avif");
  if (brands.some((brand) => HEIF_BRANDS.has(brand)))
    return { kind: "unsupported", format: "heic" };
  return { kind: "unsupported", format: `iso-media (${brands[0]?.trim() || "no brand"})` };
}

/** "BM" alone starts plenty of text; a BMP also has a known DIB header size at byte 14. */
function looksLikeBmp(bytes: Uint8Array): boolean {
  if (!startsWith(bytes, [0x42, 0x4d]) || bytes.length < 18) return false;
  const dibHeaderSize = new DataView(bytes.buffer, bytes.byteOffset + 14, 4).getUint32(0, true);
  return [12, 40, 52, 56, 64, 108, 124].includes(dibHeaderSize);
}

/**
 * SVG is XML text whose root is <svg>, possibly after a byte-order mark, an XML declaration, a
 * DOCTYPE (with an internal subset of entities, the XXE vector) and comments. An HTML page with
 * inline SVG is HTML, not an image.
 */
function looksLikeSvg(bytes: Uint8Array): boolean {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 4096));
  return /^\uFEFF?\s*</.test(text) && /<svg[\s>]/i.test(text) && !/<html[\s>]/i.test(text);
}
