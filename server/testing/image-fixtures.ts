import { crc32 } from "node:zlib";
import sharp from "sharp";

/** A real PNG of the given size and colour, encoded by libvips. */
export function solidPng(
  width: number,
  height: number,
  rgb = { r: 90, g: 120, b: 150 },
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: rgb } })
    .png()
    .toBuffer();
}

/**
 * A valid small PNG whose header claims other dimensions: what a decompression bomb looks like
 * to a server that reads the header before decoding. The IHDR CRC is recomputed, so decoders
 * that check it still accept the header.
 */
export async function pngClaimingSize(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await solidPng(16, 16));
  // Signature (8) + IHDR length (4) + "IHDR" (4), then width and height as big-endian uint32.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

/** The first `fraction` of a real JPEG: a truncated upload. */
export async function truncatedJpeg(fraction = 0.6): Promise<Buffer> {
  const jpeg = await sharp({
    create: { width: 128, height: 96, channels: 3, background: { r: 200, g: 40, b: 40 } },
  })
    .composite([{ input: await solidPng(64, 48, { r: 10, g: 200, b: 30 }), left: 10, top: 10 }])
    .jpeg({ quality: 90 })
    .toBuffer();
  return jpeg.subarray(0, Math.floor(jpeg.length * fraction));
}
