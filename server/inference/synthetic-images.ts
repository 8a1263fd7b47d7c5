import sharp from "sharp";

/**
 * Distinct, deterministic JPEG photos-to-be (seeded noise over a gradient), so a benchmark
 * can send thousands of images that no cache has seen, on a fresh clone with no data set.
 */
export async function syntheticJpegs(count: number, size = 256, seed = 1): Promise<Buffer[]> {
  let state = seed >>> 0;
  const random = () => {
    // xorshift32: fast, seeded, good enough for pixels.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const images: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const pixels = Buffer.alloc(size * size * 3);
    for (let i = 0; i < pixels.length; i++)
      pixels[i] = Math.floor(((i % (size * 3)) / (size * 3)) * 128 + random() * 127);
    images.push(
      await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  }
  return images;
}
