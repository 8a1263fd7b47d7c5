import sharp from "sharp";
import { loadEmbeddedSamples } from "../shared-data.ts";

/**
 * The real images every derived corpus image starts from: embedded samples the CNN answers
 * right with a top-1 probability above 0.9, so re-encoding them cannot flip the answer.
 */
export const SOURCES = {
  pullover: "t10k-00001_pullover.png",
  trouser: "t10k-00003_trouser.png",
  coat: "t10k-00010_coat.png",
  sneaker: "t10k-00012_sneaker.png",
  dress: "t10k-00013_dress.png",
  bag: "t10k-00018_bag.png",
  ankleBoot: "t10k-00000_ankle_boot.png",
} as const;

export type SourceName = keyof typeof SOURCES;

const samples = new Map(loadEmbeddedSamples().map((s) => [s.file, s]));

/** A source's PNG bytes and its label. */
export function source(name: SourceName): { bytes: Buffer; label: string } {
  const sample = samples.get(SOURCES[name]);
  if (!sample) throw new Error(`sample ${SOURCES[name]} is missing`);
  return sample;
}

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * A source as RGB pixels, enlarged `scale` times (nearest neighbour, so no new grey levels) and
 * with `padY` black rows above and below: a tall image, whose width and height tell whether an
 * orientation was applied. Fashion-MNIST's background is black, so the padding is background.
 */
export async function sourcePixels(name: SourceName, scale = 1, padY = 0): Promise<RawImage> {
  const { data, info } = await sharp(source(name).bytes)
    .toColourspace("srgb")
    .resize(28 * scale, 28 * scale, { kernel: "nearest" })
    .extend({ top: padY, bottom: padY, background: "#000000" })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/** sharp on raw pixels, to encode them in any format. */
export function fromPixels(image: RawImage) {
  const { data, width, height, channels } = image;
  return sharp(data, { raw: { width, height, channels } });
}
