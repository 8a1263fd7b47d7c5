import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../hashing/sha256.ts";
import { BAD_INPUT_CORPUS } from "./corpus.ts";
import { animated, exifOriented, jpegOf, pngOf, withTransparentCorner } from "./image-builders.ts";
import { storedForOrientation } from "./image-bytes.ts";
import { fromPixels, sourcePixels } from "./sources.ts";

// What the service does with each kind is checked in schema/resolvers/classify.bad-input.test.ts;
// here, that the corpus is what it says it is.

describe("the bad-input corpus", () => {
  it("has at least 40 kinds, each named once", () => {
    const names = BAD_INPUT_CORPUS.map((kind) => kind.kind);
    expect(names.length).toBeGreaterThanOrEqual(40);
    expect(new Set(names).size).toBe(names.length);
  });

  it("builds the same bytes on every run", async () => {
    const build = async () =>
      Promise.all(BAD_INPUT_CORPUS.map(async (kind) => sha256Hex((await kind.build()).body)));
    expect(await build()).toEqual(await build());
  });

  describe("EXIF orientations", () => {
    it("store pixels that every orientation turns back into the displayed image", async () => {
      const displayed = await sourcePixels("bag", 1, 2);
      for (let orientation = 1; orientation <= 8; orientation++) {
        const stored = storedForOrientation(displayed, orientation);
        // Lossless PNG, so the auto-oriented pixels must be the displayed ones exactly.
        const png = await fromPixels(stored).withMetadata({ orientation }).png().toBuffer();
        const { data, info } = await sharp(png)
          .rotate()
          .raw()
          .toBuffer({ resolveWithObject: true });
        expect([info.width, info.height], `orientation ${orientation}`).toEqual([28, 32]);
        expect(data.equals(displayed.data), `orientation ${orientation}`).toBe(true);
      }
    });

    it("swap the stored width and height for orientations 5 to 8", async () => {
      for (let orientation = 1; orientation <= 8; orientation++) {
        const metadata = await sharp(await exifOriented(orientation)).metadata();
        expect(metadata.orientation).toBe(orientation);
        expect([metadata.width, metadata.height]).toEqual(
          orientation >= 5 ? [128, 112] : [112, 128],
        );
      }
    });
  });

  it("makes the odd images it promises", async () => {
    const meta = async (bytes: Promise<Buffer>) => sharp(await bytes).metadata();
    const pixels = () => sourcePixels("coat", 4);
    expect(
      await meta(
        fromPixels(await pixels())
          .toColourspace("cmyk")
          .jpeg()
          .toBuffer(),
      ),
    ).toMatchObject({ space: "cmyk", channels: 4 });
    expect(
      await meta(
        fromPixels(await pixels())
          .toColourspace("rgb16")
          .png()
          .toBuffer(),
      ),
    ).toMatchObject({ depth: "ushort" });
    expect(await meta((await withTransparentCorner("coat", true)).png().toBuffer())).toMatchObject({
      channels: 2,
      hasAlpha: true,
    });
    expect(
      await meta((await withTransparentCorner("coat", false)).png({ palette: true }).toBuffer()),
    ).toMatchObject({ isPalette: true, hasAlpha: true });
    for (const format of ["gif", "webp"] as const) {
      expect(await meta(animated(format, "coat", "trouser"))).toMatchObject({ pages: 2 });
    }
    expect(await meta(jpegOf("coat"))).toMatchObject({ format: "jpeg", width: 112 });
    expect(await meta(pngOf("coat"))).toMatchObject({ format: "png", width: 112 });
  });
});
