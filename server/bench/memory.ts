import sharp from "sharp";
import { loadConfig } from "../config/config.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import { createRuntime } from "../runtime/runtime.ts";

// Small enough that the cache fills and evicts during the run, so its bound is exercised.
const CACHE_BYTES = 4 * 1024 * 1024;

/**
 * RSS after 1,000 and after 10,000 distinct images through the whole pipeline (CLIP forced,
 * so every image lands in the embedding cache), on the embedded pack: a leak or an unbounded
 * cache shows as growth between the two.
 */
export async function measureMemory(log: (line: string) => void) {
  const runtime = await createRuntime(
    loadConfig({
      ...process.env,
      MODEL_PACK: "fashion-mnist",
      EMBEDDING_CACHE_BYTES: String(CACHE_BYTES),
      VLM_TIMEOUT_MS: "60000",
    }),
  );
  const rss = () => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().rss;
  };
  const readings: Record<string, number> = {};
  let maxCacheBytes = 0;
  for (let n = 0; n < 10_000; n++) {
    const pixels = Buffer.alloc(28 * 28);
    pixels.writeUInt32LE(n, 0);
    for (let i = 4; i < pixels.length; i++) pixels[i] = (i * 7 + n) & 255;
    const bytes = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    const sha256 = sha256Hex(bytes);
    await runtime.classifier.classifyImages([{ bytes, sha256 }], {
      topK: 5,
      vlm: "FORCE",
      labels: null,
    });
    maxCacheBytes = Math.max(maxCacheBytes, runtime.classifier.steps.embeddingCache?.bytes ?? 0);
    if (n + 1 === 1_000 || n + 1 === 10_000) {
      readings[`rssAfter${n + 1}`] = rss();
      log(`memory: ${n + 1} images, RSS ${(readings[`rssAfter${n + 1}`] as number) / 2 ** 20} MiB`);
    }
  }
  const after1k = readings.rssAfter1000 as number;
  const after10k = readings.rssAfter10000 as number;
  return {
    rssAfter1000MiB: Math.round(after1k / 2 ** 20),
    rssAfter10000MiB: Math.round(after10k / 2 ** 20),
    growth: Number((after10k / after1k - 1).toFixed(3)),
    cacheBoundBytes: CACHE_BYTES,
    maxCacheBytes,
    withinBound: maxCacheBytes <= CACHE_BYTES,
  };
}
