import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { ConcurrencyLimiter } from "../load-control/concurrency-limiter.ts";
import { sampleValue } from "../telemetry/metrics-text.ts";
import {
  fromPixels,
  SOURCES,
  type SourceName,
  source,
  sourcePixels,
} from "../testing/bad-input-corpus/sources.ts";
import {
  CLASSIFY,
  CLASSIFY_BATCH,
  type ClassificationResult,
  createTestApp,
  type TestApp,
} from "../testing/test-app.ts";

interface BatchItem extends Partial<ClassificationResult> {
  __typename: "Classification" | "ClassifyError";
  code?: string;
}

/**
 * Real photos of the embedded pack's classes, enlarged 100× to 2800×2800 (7.8 megapixels):
 * PNG (inflated whole to decode) and JPEG (decoded at 1/8 scale by libjpeg), one of each per
 * class, every one a different file.
 */
async function largeImages() {
  const images: { bytes: Buffer; label: string; format: string }[] = [];
  // One at a time: each is 23 MB of raw pixels before it is encoded.
  for (const name of Object.keys(SOURCES) as SourceName[]) {
    for (const format of ["png", "jpeg"] as const) {
      const pixels = fromPixels(await sourcePixels(name, 100));
      const encoded = format === "png" ? pixels.png() : pixels.jpeg({ quality: 90 });
      images.push({ bytes: await encoded.toBuffer(), label: source(name).label, format });
    }
  }
  return images;
}

/** Follows the most decodes that run at once from now on. */
function watchPeak(slots: ConcurrencyLimiter): { peak: number } {
  const watched = { peak: 0 };
  const run = slots.run.bind(slots);
  slots.run = <T>(task: () => Promise<T>) =>
    run(() => {
      watched.peak = Math.max(watched.peak, slots.active);
      return task();
    });
  return watched;
}

const metric = async (service: TestApp, name: string) =>
  sampleValue(
    await (await service.app.fetch(new Request("http://localhost/metrics"))).text(),
    name,
  );

describe("many large images at once", () => {
  let images: Awaited<ReturnType<typeof largeImages>>;
  beforeAll(async () => {
    images = await largeImages();
  });

  const classify = (service: TestApp, bytes: Uint8Array) =>
    service.upload<{ classify: ClassificationResult }>(CLASSIFY, { image: null }, [
      { path: "variables.image", bytes },
    ]);

  it("decodes at most DECODE_CONCURRENCY at once; the rest wait, and all are answered", async () => {
    const service = await createTestApp({ DECODE_CONCURRENCY: "2", DECODE_QUEUE_MAX: "64" });
    const decodes = watchPeak(service.runtime.classifier.decodeSlots);
    const gauge: number[] = [];
    let answering = true;
    const scraping = (async () => {
      while (answering) {
        gauge.push((await metric(service, "image_decodes_active")) ?? -1);
        await sleep(5);
      }
    })();
    const answers = await Promise.all(images.map((image) => classify(service, image.bytes)));
    answering = false;
    await scraping;

    answers.forEach((answer, i) => {
      expect(answer.errors, images[i]?.format).toBeUndefined();
      expect(answer.data?.classify.top.label).toBe(images[i]?.label);
      expect(answer.data?.classify.image).toMatchObject({ width: 2800, height: 2800 });
    });
    // The bound was reached, and never passed, neither by the limiter nor in the exported gauge.
    expect(decodes.peak).toBe(2);
    expect(gauge.length).toBeGreaterThan(0);
    expect(Math.max(...gauge)).toBeLessThanOrEqual(2);
    expect(Math.min(...gauge)).toBeGreaterThanOrEqual(0);
    expect(await metric(service, "image_decodes_active")).toBe(0);
    expect(await metric(service, "image_decode_queue_length")).toBe(0);
  }, 120_000);

  it("refuses the images that do not fit the decode queue as OVERLOADED, and answers the rest", async () => {
    const service = await createTestApp({ DECODE_CONCURRENCY: "1", DECODE_QUEUE_MAX: "2" });
    const decodes = watchPeak(service.runtime.classifier.decodeSlots);
    const batch = images.slice(0, 8);
    const response = await service.upload<{ classifyBatch: BatchItem[] }>(
      CLASSIFY_BATCH,
      { images: batch.map(() => null) },
      batch.map((image, i) => ({ path: `variables.images.${i}`, bytes: image.bytes })),
    );
    const items = response.data?.classifyBatch ?? [];
    // One batch asks for all eight decodes in the same tick: one runs, two wait, five are shed.
    expect(items.map((item) => item.code ?? item.top?.label)).toEqual([
      ...batch.slice(0, 3).map((image) => image.label),
      ...Array(5).fill("OVERLOADED"),
    ]);
    expect(decodes.peak).toBe(1);
    // Shedding is momentary: the next request is decoded.
    const again = await classify(service, batch[7]?.bytes as Uint8Array);
    expect(again.data?.classify.top.label).toBe(batch[7]?.label);
  }, 120_000);
});

describe("a full CNN queue", () => {
  it("refuses the images that find it full as OVERLOADED, never as an internal error", async () => {
    const service = await createTestApp({ CNN_QUEUE_MAX: "1", BATCH_MAX_SIZE: "1" });
    const cnn = service.runtime.models.cnn as {
      classify: (typeof service.runtime.models.cnn)["classify"];
    };
    const real = cnn.classify;
    // Fault injection: a CNN slow enough that the other images' decodes finish while it runs.
    cnn.classify = async (tensors) => {
      await sleep(300);
      return real(tensors);
    };
    try {
      const samples = (Object.keys(SOURCES) as SourceName[]).map((name) => source(name));
      const response = await service.upload<{ classifyBatch: BatchItem[] }>(
        CLASSIFY_BATCH,
        { images: samples.map(() => null), options: { vlm: "OFF" } },
        samples.map((s, i) => ({ path: `variables.images.${i}`, bytes: s.bytes })),
      );
      const items = response.data?.classifyBatch ?? [];
      expect(response.errors).toBeUndefined();
      // One runs, one waits; the rest find the queue full.
      expect(items.filter((item) => item.__typename === "Classification")).toHaveLength(2);
      expect(items.filter((item) => item.code === "OVERLOADED")).toHaveLength(samples.length - 2);

      const alone = await service.upload<{ classify: ClassificationResult }>(
        CLASSIFY,
        { image: null },
        [{ path: "variables.image", bytes: samples[0]?.bytes as Uint8Array }],
      );
      expect(alone.data?.classify.top.label).toBe(samples[0]?.label);
    } finally {
      cnn.classify = real;
    }
  });
});
