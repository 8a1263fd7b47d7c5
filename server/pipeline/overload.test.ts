import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { ConcurrencyLimiter } from "../load-control/concurrency-limiter.ts";
import { sampleValue } from "../telemetry/metrics-text.ts";
import {
  fromPixels,
  SOURCES,
  type SourceName,
  source,
  sourcePixels,
} from "../testing/bad-input-corpus/sources.ts";
import { gate } from "../testing/gate.ts";
import {
  CLASSIFY,
  CLASSIFY_BATCH,
  type ClassificationResult,
  createFakeTestApp,
  type FakeTestApp,
} from "../testing/test-app.ts";

interface BatchItem extends Partial<ClassificationResult> {
  __typename: "Classification" | "ClassifyError";
  code?: string;
}

// What the fake CNN answers for every image: the decode bound and the queues are what is tested.
const FAKE_LABEL = "cat";

/**
 * Real photos of the embedded pack's classes, enlarged 100× to 2800×2800 (7.8 megapixels):
 * PNG (inflated whole to decode) and JPEG (decoded at 1/8 scale by libjpeg), one of each per
 * class, every one a different file.
 */
async function largeImages() {
  const images: { bytes: Buffer; format: string }[] = [];
  // One at a time: each is 23 MB of raw pixels before it is encoded.
  for (const name of Object.keys(SOURCES) as SourceName[]) {
    for (const format of ["png", "jpeg"] as const) {
      const pixels = fromPixels(await sourcePixels(name, 100));
      const encoded = format === "png" ? pixels.png() : pixels.jpeg({ quality: 90 });
      images.push({ bytes: await encoded.toBuffer(), format });
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

const metric = async (service: FakeTestApp, name: string) =>
  sampleValue(
    await (await service.app.fetch(new Request("http://localhost/metrics"))).text(),
    name,
  );

describe("many large images at once", () => {
  let images: Awaited<ReturnType<typeof largeImages>>;
  beforeAll(async () => {
    images = await largeImages();
  });

  const classify = (service: FakeTestApp, bytes: Uint8Array) =>
    service.upload<{ classify: ClassificationResult }>(CLASSIFY, { image: null }, [
      { path: "variables.image", bytes },
    ]);

  it("decodes at most DECODE_CONCURRENCY at once; the rest wait, and all are answered", async () => {
    const service = createFakeTestApp({ DECODE_CONCURRENCY: "2", DECODE_QUEUE_MAX: "64" });
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
      expect(answer.data?.classify.top.label).toBe(FAKE_LABEL);
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
    const service = createFakeTestApp({ DECODE_CONCURRENCY: "1", DECODE_QUEUE_MAX: "2" });
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
      ...batch.slice(0, 3).map(() => FAKE_LABEL),
      ...Array(5).fill("OVERLOADED"),
    ]);
    expect(decodes.peak).toBe(1);
    // Shedding is momentary: the next request is decoded.
    const again = await classify(service, batch[7]?.bytes as Uint8Array);
    expect(again.data?.classify.top.label).toBe(FAKE_LABEL);
  }, 120_000);
});

describe("a full CNN queue", () => {
  it("refuses the images that find it full as OVERLOADED, never as an internal error", async () => {
    // The first CNN call is held until every other image has been decoded and has reached the
    // CNN's queue: one runs, one waits, the rest find the queue full.
    const held = gate();
    let cnnCalls = 0;
    const service = createFakeTestApp(
      { CNN_QUEUE_MAX: "1", BATCH_MAX_SIZE: "1" },
      {
        pipeline: {
          runCnn: async () => {
            if (cnnCalls++ === 0) await held.promise;
            return Float32Array.from([0.9, 0.06, 0.04], Math.log);
          },
        },
      },
    );
    const samples = (Object.keys(SOURCES) as SourceName[]).map((name) => source(name));
    const sent = service.upload<{ classifyBatch: BatchItem[] }>(
      CLASSIFY_BATCH,
      { images: samples.map(() => null), options: { vlm: "OFF" } },
      samples.map((s, i) => ({ path: `variables.images.${i}`, bytes: s.bytes })),
    );
    const slots = service.runtime.classifier.decodeSlots;
    await vi.waitFor(
      () => {
        expect(service.calls.decode).toBe(samples.length);
        expect(slots.active + slots.waiting).toBe(0);
      },
      { timeout: 20_000, interval: 1 },
    );
    // A decoded image reaches the CNN's queue within the same turn of the loop.
    await new Promise((resolve) => setImmediate(resolve));
    held.open();
    const response = await sent;
    const items = response.data?.classifyBatch ?? [];
    expect(response.errors).toBeUndefined();
    expect(items.filter((item) => item.__typename === "Classification")).toHaveLength(2);
    expect(items.filter((item) => item.code === "OVERLOADED")).toHaveLength(samples.length - 2);

    const alone = await service.upload<{ classify: ClassificationResult }>(
      CLASSIFY,
      { image: null },
      [{ path: "variables.image", bytes: samples[0]?.bytes as Uint8Array }],
    );
    expect(alone.data?.classify.top.label).toBe(FAKE_LABEL);
  });
});
