import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import sharp from "sharp";
import type { LabelledImage } from "./evaluate.ts";

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

/** The IDX files' prefixes: 60,000 training images, 10,000 test images. */
export type FashionMnistSplit = "train" | "t10k";

// IDX magic numbers: unsigned bytes, 3 dimensions (images) or 1 (labels).
const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/** Whether both splits are installed in `dir`. */
export function hasFashionMnist(dir = DEBIAN_FASHION_MNIST): boolean {
  return ["train", "t10k"].every(
    (split) =>
      existsSync(join(dir, `${split}-images-idx3-ubyte.gz`)) &&
      existsSync(join(dir, `${split}-labels-idx1-ubyte.gz`)),
  );
}

/** One image of a split: its position in the split, PNG bytes and class index. */
export interface FashionMnistImage {
  index: number;
  bytes: Uint8Array;
  label: number;
}

/** A split's image count, for choosing subsets before any image is encoded. */
export async function fashionMnistCount(dir: string, split: FashionMnistSplit): Promise<number> {
  return (await readSplit(dir, split)).count;
}

/**
 * A split's images (all, or those at `indices`, in that order) as PNG files in batches,
 * exactly as a client would upload them, so calibration and evaluation pay for decoding too.
 */
export async function* fashionMnistImages(
  dir: string,
  split: FashionMnistSplit,
  batchSize: number,
  indices?: readonly number[],
): AsyncGenerator<FashionMnistImage[]> {
  const { images, classes, count, rows, cols } = await readSplit(dir, split);
  const order = indices ?? Array.from({ length: count }, (_, i) => i);
  for (let start = 0; start < order.length; start += batchSize) {
    yield await Promise.all(
      order.slice(start, start + batchSize).map(async (index) => {
        const pixels = images.subarray(16 + index * rows * cols, 16 + (index + 1) * rows * cols);
        const bytes = await sharp(pixels, { raw: { width: cols, height: rows, channels: 1 } })
          .png()
          .toBuffer();
        return { index, bytes, label: classes[8 + index] as number };
      }),
    );
  }
}

/**
 * Fashion-MNIST's test split as labelled PNG files in batches (the first `limit` images).
 */
export async function* fashionMnistTestSet(
  dir: string,
  labels: readonly string[],
  batchSize: number,
  limit = Number.POSITIVE_INFINITY,
): AsyncGenerator<LabelledImage[]> {
  const count = Math.min(await fashionMnistCount(dir, "t10k"), limit);
  const indices = Array.from({ length: count }, (_, i) => i);
  for await (const batch of fashionMnistImages(dir, "t10k", batchSize, indices)) {
    yield batch.map(({ bytes, label }) => ({ bytes, label: labels[label] as string }));
  }
}

async function readSplit(dir: string, split: FashionMnistSplit) {
  const images = gunzipSync(await readFile(join(dir, `${split}-images-idx3-ubyte.gz`)));
  const classes = gunzipSync(await readFile(join(dir, `${split}-labels-idx1-ubyte.gz`)));
  if (images.readUInt32BE(0) !== IMAGES_MAGIC || classes.readUInt32BE(0) !== LABELS_MAGIC) {
    throw new Error(`${dir} does not hold IDX files`);
  }
  const count = Math.min(images.readUInt32BE(4), classes.readUInt32BE(4));
  return { images, classes, count, rows: images.readUInt32BE(8), cols: images.readUInt32BE(12) };
}
