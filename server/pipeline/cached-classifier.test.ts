import { describe, expect, it } from "vitest";
import type { SecondLevel } from "../cache/coalescing-cache.ts";
import { createAccuracyWindow } from "../feedback/accuracy-window.ts";
import { createFeedback } from "../feedback/feedback.ts";
import {
  classifyOne,
  createFakePipeline,
  type FakePipelineOptions,
  fakeImage,
  fakeImages,
} from "../testing/fake-pipeline.ts";
import { answerFingerprint } from "./answer-fingerprint.ts";
import { withResultCache } from "./cached-classifier.ts";
import type { ClassifyOutcome } from "./classify.ts";
import { type CachedAnswer, createResultCache } from "./result-cache.ts";
import type { Classification, ClassifyOptions } from "./types.ts";

const AUTO: ClassifyOptions = { topK: 2, vlm: "AUTO", labels: null };
const FORCE: ClassifyOptions = { topK: 2, vlm: "FORCE", labels: null };

/** A shared level in a Map: what Redis does for the cache, without a server. */
function mapLevel(): SecondLevel<CachedAnswer> & { readonly keys: string[] } {
  const stored = new Map<string, string>();
  return {
    get: async (key) => {
      const json = stored.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as CachedAnswer);
    },
    set: async (key, value) => {
      stored.set(key, JSON.stringify(value));
    },
    get keys() {
      return [...stored.keys()];
    },
  };
}

function cachedPipeline(
  options: FakePipelineOptions = {},
  cacheOptions: { maxBytes?: number; secondLevel?: SecondLevel<CachedAnswer> } = {},
) {
  const fake = createFakePipeline(options);
  const cache = createResultCache({
    maxBytes: cacheOptions.maxBytes ?? 1 << 20,
    fingerprint: answerFingerprint(fake.models, fake.routing),
    secondLevel: cacheOptions.secondLevel,
  });
  const classifier = withResultCache(fake.classifier, {
    cache,
    predictions: fake.predictions,
    metrics: fake.metrics,
  });
  const feedback = createFeedback({
    store: fake.predictions,
    packLabels: fake.models.pack.labels,
    window: createAccuracyWindow(100),
    metrics: fake.metrics,
  });
  return { ...fake, cache, classifier, feedback };
}

const answered = (outcomes: ClassifyOutcome[]) => {
  for (const outcome of outcomes) expect(outcome).not.toBeInstanceOf(Error);
  return outcomes as Classification[];
};

async function lookups(metrics: ReturnType<typeof createFakePipeline>["metrics"]) {
  const { values } = await metrics.cacheLookups.get();
  return values
    .filter((v) => v.labels.cache === "result")
    .map((v) => `${v.labels.result}/${v.labels.level}=${v.value}`)
    .sort();
}

describe("the result cache in front of the pipeline", () => {
  it("answers a repeated image without decode, CNN or CLIP: a new answer, stored for feedback", async () => {
    const service = cachedPipeline();
    const image = await fakeImage();
    const first = await classifyOne(service.classifier, image, FORCE);
    expect(service.calls).toEqual({ decode: 1, cnn: 1, clip: 1 });

    const again = await classifyOne(service.classifier, image, FORCE);
    expect(service.calls).toEqual({ decode: 1, cnn: 1, clip: 1 });
    expect(first).toMatchObject({ resultCacheHit: false, vlmUsed: true });
    expect(again).toMatchObject({
      resultCacheHit: true,
      cacheHit: true,
      fallback: null,
      top: first.top,
      predictions: first.predictions,
      cnn: first.cnn,
      vlm: first.vlm,
      vlmReason: "FORCED",
      image: first.image,
    });
    expect(again.id).not.toBe(first.id);
    expect(again.timings).toMatchObject({ decodeMs: 0, cnnMs: 0, vlmMs: null });
    expect(again.timings.totalMs).toBeGreaterThanOrEqual(0);

    await expect(service.predictions.get(again.id)).resolves.toMatchObject({
      finalLabel: again.top.label,
      vlmUsed: true,
    });
    await expect(service.feedback(again.id, again.top.label)).resolves.toMatchObject({
      finalCorrect: true,
    });
    expect(await lookups(service.metrics)).toEqual(["hit/memory=1", "miss/none=1"]);
  });

  it("answers the hits of a batch from the cache and only the misses through the pipeline", async () => {
    const service = cachedPipeline();
    const [a, b, c] = await Promise.all([fakeImage(0), fakeImage(1), fakeImage(2)]);
    await classifyOne(service.classifier, a, AUTO);
    const answers = answered(await service.classifier.classifyImages([b, a, c], AUTO));
    expect(answers.map((x) => x.resultCacheHit)).toEqual([false, true, false]);
    expect(answers.map((x) => x.image.sha256)).toEqual([b.sha256, a.sha256, c.sha256]);
    expect(service.calls.decode).toBe(3);
  });

  it("misses when the options change; custom labels in another order are the same request", async () => {
    const service = cachedPipeline();
    const image = await fakeImage();
    const labels = ["a tabby", "a beagle", "a red fox"];
    const variants: ClassifyOptions[] = [
      AUTO,
      { ...AUTO, topK: 3 },
      FORCE,
      { ...AUTO, vlm: "OFF" },
      { ...AUTO, labels },
    ];
    for (const options of variants) {
      const answer = await classifyOne(service.classifier, image, options);
      expect(answer.resultCacheHit, JSON.stringify(options)).toBe(false);
    }
    expect(service.calls.decode).toBe(variants.length);
    const reordered = { ...FORCE, labels: [...labels].reverse() };
    const same = await classifyOne(service.classifier, image, reordered);
    expect(same.resultCacheHit).toBe(true);
    // Feedback is over this request's labels.
    await expect(service.predictions.get(same.id)).resolves.toMatchObject({
      customLabels: reordered.labels,
    });
  });

  it.each(["TIMEOUT", "OVERLOADED", "ERROR", "UNAVAILABLE"] as const)(
    "does not keep a %s fallback: the next request asks CLIP again",
    async (fallback) => {
      let failing = true;
      const service = cachedPipeline({
        embed: async () =>
          failing
            ? { ok: false, fallback, ms: 1 }
            : { ok: true, embedding: Float32Array.of(0, 1, 0, 0), cacheHit: false, ms: 1 },
      });
      const image = await fakeImage();
      const first = await classifyOne(service.classifier, image, FORCE);
      expect(first).toMatchObject({ fallback, resultCacheHit: false });
      expect(service.cache.bytes).toBe(0);
      failing = false;
      const second = await classifyOne(service.classifier, image, FORCE);
      expect(second).toMatchObject({ fallback: null, vlmUsed: true, resultCacheHit: false });
      expect(service.calls.clip).toBe(2);
      const third = await classifyOne(service.classifier, image, FORCE);
      expect(third.resultCacheHit).toBe(true);
    },
  );

  it("never holds more than its bytes: the least recently used answers go first", async () => {
    const probe = cachedPipeline();
    const images = await fakeImages(6);
    await classifyOne(probe.classifier, await fakeImage(0), AUTO);
    const perAnswer = probe.cache.bytes;
    expect(perAnswer).toBeGreaterThan(500);

    const service = cachedPipeline({}, { maxBytes: perAnswer * 3 + perAnswer / 2 });
    for (const image of images) {
      answered(await service.classifier.classifyImages([image], AUTO));
      expect(service.cache.bytes).toBeLessThanOrEqual(perAnswer * 3.5);
    }
    const again = answered(await service.classifier.classifyImages(images, AUTO));
    expect(again.map((a) => a.resultCacheHit)).toEqual([false, false, false, true, true, true]);
  });

  it("never mixes pack versions or routing rules sharing one Redis: another fingerprint misses", async () => {
    const shared = mapLevel();
    const image = await fakeImage();
    const v1 = cachedPipeline({ modelVersion: "v1" }, { secondLevel: shared });
    await classifyOne(v1.classifier, image, AUTO);
    expect(shared.keys).toHaveLength(1);

    const v2 = cachedPipeline({ modelVersion: "v2" }, { secondLevel: shared });
    const fromV2 = await classifyOne(v2.classifier, image, AUTO);
    expect(fromV2.resultCacheHit).toBe(false);
    expect(v2.calls.cnn).toBe(1);
    expect(shared.keys).toHaveLength(2);

    const sameV1 = cachedPipeline({ modelVersion: "v1" }, { secondLevel: shared });
    const fromV1 = await classifyOne(sameV1.classifier, image, AUTO);
    expect(fromV1.resultCacheHit).toBe(true);
    expect(sameV1.calls).toEqual({ decode: 0, cnn: 0, clip: 0 });
    expect(await lookups(sameV1.metrics)).toEqual(["hit/redis=1"]);

    const other = createFakePipeline();
    expect(answerFingerprint(other.models, { ...other.routing, high: 0.9 })).not.toBe(
      answerFingerprint(other.models, other.routing),
    );
  });
});
