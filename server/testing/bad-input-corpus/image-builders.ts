import sharp from "sharp";
import { type CorpusKind, classifyUpload, type Expected, type FileToSend } from "./corpus-kind.ts";
import { storedForOrientation } from "./image-bytes.ts";
import { fromPixels, type SourceName, source, sourcePixels } from "./sources.ts";

/** Helpers for the upload kinds: one file sent to `classify`, and what must come back. */

export const utf8 = (text: string) => Buffer.from(text, "utf8");

export const file = (bytes: Uint8Array, filename: string, contentType: string): FileToSend => ({
  bytes,
  filename,
  contentType,
});

/** The answer for an image made from a source: the source's label. */
export const label = (
  name: SourceName,
  image?: Extract<Expected, { label: unknown }>["image"],
) => ({
  label: source(name).label,
  ...(image ? { image } : {}),
});

export function upload(
  kind: string,
  build: () => Promise<FileToSend>,
  expected: Expected,
): CorpusKind {
  return { kind, build: async () => classifyUpload(await build()), expected };
}

/** A source enlarged 4× (112×112) as JPEG: big enough that cutting it loses real scan data. */
export const jpegOf = async (name: SourceName) =>
  fromPixels(await sourcePixels(name, 4))
    .jpeg({ quality: 92 })
    .toBuffer();

export const pngOf = async (name: SourceName) =>
  fromPixels(await sourcePixels(name, 4))
    .png()
    .toBuffer();

/** A source's pixels (grey or RGB) plus alpha: 0 in the top-left 16×16 corner, 255 elsewhere. */
export async function withTransparentCorner(name: SourceName, grey: boolean) {
  const rgb = await sourcePixels(name, 4);
  const channels = grey ? 2 : 4;
  const data = Buffer.alloc(rgb.width * rgb.height * channels);
  for (let i = 0; i < rgb.width * rgb.height; i++) {
    const [x, y] = [i % rgb.width, Math.floor(i / rgb.width)];
    const colour = grey ? [rgb.data[i * 3] as number] : [...rgb.data.subarray(i * 3, i * 3 + 3)];
    data.set([...colour, x < 16 && y < 16 ? 0 : 255], i * channels);
  }
  const image = fromPixels({ data, width: rgb.width, height: rgb.height, channels });
  // Without it, libvips reads two raw channels as sRGB and writes an RGBA PNG.
  return grey ? image.toColourspace("b-w") : image;
}

/** Two frames, 112×112 each: `first` then `second`. */
export async function animated(format: "gif" | "webp", first: SourceName, second: SourceName) {
  const frames = [await pngOf(first), await pngOf(second)];
  return sharp(frames, { join: { animated: true } })
    [format]({ delay: 500 })
    .toBuffer();
}

/** The bag displayed 112×128 (a tall image), stored as EXIF `orientation` says, as JPEG. */
export async function exifOriented(orientation: number) {
  const displayed = await sourcePixels("bag", 4, 8);
  return fromPixels(storedForOrientation(displayed, orientation))
    .withMetadata({ orientation })
    .jpeg({ quality: 95 })
    .toBuffer();
}
