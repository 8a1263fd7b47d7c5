import type { ClipVisionModel } from "../inference/clip-vision.ts";
import { quantile } from "../math/quantile.ts";
import { round, timeRuns } from "./stats.ts";

export interface BatchTiming {
  batch: number;
  /** Per image: batch latency divided by the batch size. */
  perImageP50Ms: number;
  perImageP95Ms: number;
  imagesPerSecond: number;
}

/** Random CHW images of the tower's input size (values like normalised pixels). */
export function randomImages(count: number, height: number, width: number): Float32Array[] {
  return Array.from({ length: count }, (_, n) => {
    const image = new Float32Array(3 * height * width);
    for (let i = 0; i < image.length; i++) image[i] = Math.sin(i * 0.37 + n) * 1.5;
    return image;
  });
}

/** Offline latency and throughput of the vision tower at each batch size (no queue, no cache). */
export async function towerLatency(
  vision: ClipVisionModel,
  batches: readonly number[],
  seconds: number,
): Promise<BatchTiming[]> {
  const { height, width } = vision.preprocess.outputSize;
  const results: BatchTiming[] = [];
  for (const batch of batches) {
    const images = randomImages(batch, height, width);
    const times = await timeRuns(() => vision.embed(images), { seconds, minRuns: 3 });
    results.push({
      batch,
      perImageP50Ms: round(quantile(times, 0.5) / batch),
      perImageP95Ms: round(quantile(times, 0.95) / batch),
      imagesPerSecond: round((1000 * batch) / quantile(times, 0.5), 1),
    });
  }
  return results;
}
