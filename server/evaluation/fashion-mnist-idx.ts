import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import sharp from "sharp";
import type { LabelledImage } from "./evaluate.ts";

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

// IDX magic numbers: unsigned bytes, 3 dimensions (images) or 1 (labels).
const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/**
 * Fashion-MNIST's test split as PNG files in batches, exactly as a client would upload them,
 * so an evaluation pays for (and checks) decoding too.
 */
export async function* fashionMnistTestSet(
  dir: string,
  labels: readonly string[],
  batchSize: number,
  limit = Number.POSITIVE_INFINITY,
): AsyncGenerator<LabelledImage[]> {
  const images = gunzipSync(await readFile(join(dir, "t10k-images-idx3-ubyte.gz")));
  const classes = gunzipSync(await readFile(join(dir, "t10k-labels-idx1-ubyte.gz")));
  if (images.readUInt32BE(0) !== IMAGES_MAGIC || classes.readUInt32BE(0) !== LABELS_MAGIC) {
    throw new Error(`${dir} does not hold IDX files`);
  }
  const count = Math.min(images.readUInt32BE(4), classes.readUInt32BE(4), limit);
  const rows = images.readUInt32BE(8);
  const cols = images.readUInt32BE(12);
  for (let start = 0; start < count; start += batchSize) {
    const batch: LabelledImage[] = [];
    for (let i = start; i < Math.min(start + batchSize, count); i++) {
      const pixels = images.subarray(16 + i * rows * cols, 16 + (i + 1) * rows * cols);
      const bytes = await sharp(pixels, { raw: { width: cols, height: rows, channels: 1 } })
        .png()
        .toBuffer();
      batch.push({ bytes, label: labels[classes[8 + i] as number] as string });
    }
    yield batch;
  }
}
