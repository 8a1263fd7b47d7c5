import { crc32, deflateSync } from "node:zlib";
import type { RawImage } from "./sources.ts";

/** Byte-level builders for images no encoder would write. */

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data, CRC over type and data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** IHDR for a non-interlaced image; colour type 0 is greyscale, 2 truecolour. */
export function ihdr(width: number, height: number, bitDepth = 8, colourType = 0): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = bitDepth;
  data[9] = colourType;
  return pngChunk("IHDR", data);
}

export function pngFile(...chunks: Buffer[]): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ...chunks, pngChunk("IEND", Buffer.alloc(0))]);
}

/**
 * A greyscale PNG whose IDAT inflates to `rows` all-black rows of `width` pixels: kilobytes on
 * the wire, width × rows bytes once inflated.
 */
export function zlibBombPng(width: number, height: number, rows = height): Buffer {
  const scanlines = Buffer.alloc((width + 1) * rows); // filter byte 0 and black pixels
  return pngFile(ihdr(width, height), pngChunk("IDAT", deflateSync(scanlines, { level: 9 })));
}

/** The same PNG with the CRC of its first IDAT chunk broken. */
export function withBadIdatCrc(png: Buffer): Buffer {
  const out = Buffer.from(png);
  const idat = out.indexOf("IDAT");
  const crcAt = idat + 4 + out.readUInt32BE(idat - 4);
  out.writeUInt32BE(out.readUInt32BE(crcAt) ^ 0xffffffff, crcAt);
  return out;
}

/** A JPEG whose entropy-coded scan stops halfway and is closed with an end-of-image marker. */
export function jpegCutMidScan(jpeg: Buffer): Buffer {
  const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  return Buffer.concat([
    jpeg.subarray(0, Math.floor((scan + jpeg.length) / 2)),
    Buffer.from([0xff, 0xd9]),
  ]);
}

/**
 * A baseline JPEG with the successive-approximation bits of its scan header set, as Samsung
 * phone cameras write them: libjpeg warns "Invalid SOS parameters for sequential JPEG", ignores
 * them and decodes every pixel.
 */
export function jpegWithSamsungScanHeader(jpeg: Buffer): Buffer {
  const out = Buffer.from(jpeg);
  const sos = out.indexOf(Buffer.from([0xff, 0xda]));
  const components = out[sos + 4] as number;
  // FFDA, length (2), component count (1), 2 bytes per component, then Ss, Se, Ah/Al.
  out[sos + 5 + components * 2 + 2] = 0x01;
  return out;
}

/** A JPEG whose first frame header (SOF0) claims another size. */
export function jpegClaimingSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const sof = out.indexOf(Buffer.from([0xff, 0xc0]));
  if (sof < 0) throw new Error("no baseline SOF0 marker");
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
}

/**
 * The stored pixels that show `displayed` once EXIF `orientation` is applied (EXIF 2.32, table
 * of Orientation: where the stored 0th row and 0th column sit in the displayed image).
 * Orientations 5–8 store the image transposed: width and height swap.
 */
export function storedForOrientation(displayed: RawImage, orientation: number): RawImage {
  const { width: dw, height: dh, channels } = displayed;
  const transposed = orientation >= 5;
  const [sw, sh] = transposed ? [dh, dw] : [dw, dh];
  const source: Record<number, (sx: number, sy: number) => [number, number]> = {
    1: (sx, sy) => [sx, sy],
    2: (sx, sy) => [dw - 1 - sx, sy],
    3: (sx, sy) => [dw - 1 - sx, dh - 1 - sy],
    4: (sx, sy) => [sx, dh - 1 - sy],
    5: (sx, sy) => [sy, sx],
    6: (sx, sy) => [dw - 1 - sy, sx],
    7: (sx, sy) => [dw - 1 - sy, dh - 1 - sx],
    8: (sx, sy) => [sy, dh - 1 - sx],
  };
  const at = source[orientation];
  if (!at) throw new Error(`no EXIF orientation ${orientation}`);
  const data = Buffer.alloc(sw * sh * channels);
  for (let sy = 0; sy < sh; sy++) {
    for (let sx = 0; sx < sw; sx++) {
      const [dx, dy] = at(sx, sy);
      const from = (dy * dw + dx) * channels;
      displayed.data.copy(data, (sy * sw + sx) * channels, from, from + channels);
    }
  }
  return { data, width: sw, height: sh, channels };
}

/** A 24-bit BMP (BITMAPINFOHEADER, bottom-up rows padded to 4 bytes) of an RGB image. */
export function bmpFile(image: RawImage): Buffer {
  const { width, height, data } = image;
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write("BM", 0, "latin1");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 3;
      const to = 54 + (height - 1 - y) * stride + x * 3;
      out[to] = data[from + 2] as number; // BGR
      out[to + 1] = data[from + 1] as number;
      out[to + 2] = data[from] as number;
    }
  }
  return out;
}

/** An ICO holding one PNG image, as Windows Vista and later write them. */
export function icoFile(png: Buffer, width: number, height: number): Buffer {
  const header = Buffer.alloc(22);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(1, 4); // one image
  header[6] = width % 256;
  header[7] = height % 256;
  header.writeUInt16LE(1, 10); // colour planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(png.length, 14);
  header.writeUInt32LE(22, 18);
  return Buffer.concat([header, png]);
}

/** A ZIP archive with one stored (uncompressed) file. */
export function zipFile(name: string, content: string): Buffer {
  const fileName = Buffer.from(name, "utf8");
  const data = Buffer.from(content, "utf8");
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralAt = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralAt, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

/** The start of a HEIF file with HEVC-coded images (an iPhone photo): its `ftyp` box. */
export function heicHeader(): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write("ftypheic", 4, "latin1");
  ftyp.write("mif1heic", 16, "latin1");
  const meta = Buffer.alloc(12);
  meta.writeUInt32BE(12, 0);
  meta.write("meta", 4, "latin1");
  return Buffer.concat([ftyp, meta]);
}
