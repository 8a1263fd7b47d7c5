import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPack } from "../packs/load-pack.ts";
import { type ClipFault, injectTextFault, injectVisionFault } from "../testing/clip-faults.ts";
import { copyPack } from "../testing/pack-copy.ts";
import { loadEmbeddedSamples, REPO_ROOT } from "../testing/shared-data.ts";
import {
  CLASSIFY,
  CLASSIFY_BATCH,
  type ClassificationResult,
  createTestApp,
  type TestApp,
} from "../testing/test-app.ts";

const images = loadEmbeddedSamples().map((sample) => sample.bytes);
const image = (i: number) => images[i] as Buffer;

async function classify(
  service: TestApp,
  bytes: Uint8Array,
  options: Record<string, unknown> = { vlm: "FORCE" },
) {
  const response = await service.upload<{ classify: ClassificationResult }>(
    CLASSIFY,
    { image: null, options },
    [{ path: "variables.image", bytes }],
  );
  expect(response.errors).toBeUndefined();
  return response.data?.classify as ClassificationResult;
}

async function withFault<T>(
  service: TestApp,
  fault: ClipFault,
  work: (calls: { count: number; images: number }) => Promise<T>,
) {
  const injected = injectVisionFault(service.runtime.models.clip, fault);
  try {
    return await work(injected.calls);
  } finally {
    injected.restore();
  }
}

/** A fallback answer is the CNN's, says why, and is never an error. */
function expectCnnFallback(answer: ClassificationResult, fallback: string) {
  expect(answer).toMatchObject({
    vlmUsed: false,
    vlmReason: "FORCED",
    fallback,
    vlm: null,
    cnnWeight: null,
  });
  expect(answer.predictions).toEqual(answer.cnn.predictions);
}

describe("CLIP fallbacks: the CNN answers and the response says why", () => {
  it("ERROR when CLIP throws", async () => {
    const service = await createTestApp();
    await withFault(service, "throw", async () => {
      expectCnnFallback(await classify(service, image(0)), "ERROR");
    });
    // Once CLIP recovers, answers use it again.
    expect((await classify(service, image(1))).vlmUsed).toBe(true);
  });

  it("TIMEOUT when CLIP is slow, and when it hangs", async () => {
    const service = await createTestApp({ VLM_TIMEOUT_MS: "100" });
    await withFault(service, { delayMs: 400 }, async () => {
      const started = performance.now();
      expectCnnFallback(await classify(service, image(2)), "TIMEOUT");
      expect(performance.now() - started).toBeLessThan(400);
    });
    await withFault(service, "hang", async () => {
      expectCnnFallback(await classify(service, image(3)), "TIMEOUT");
    });
  });

  it("OVERLOADED when CLIP's queue is full, for the images that did not fit", async () => {
    const service = await createTestApp({
      VLM_QUEUE_MAX: "1",
      BATCH_MAX_SIZE: "1",
      VLM_TIMEOUT_MS: "300",
    });
    await withFault(service, "hang", async () => {
      const response = await service.upload<{ classifyBatch: ClassificationResult[] }>(
        CLASSIFY_BATCH,
        { images: [null, null, null], options: { vlm: "FORCE" } },
        [0, 1, 2].map((i) => ({ path: `variables.images.${i}`, bytes: image(4 + i) })),
      );
      const fallbacks = response.data?.classifyBatch.map((a) => a.fallback) ?? [];
      // One runs (and hangs) and times out; what does not fit the queue of one is shed at once.
      // Whether the second waits or is shed depends on whether it arrived in the same tick as
      // the first (then both count against the queue before the first is dispatched).
      expect(fallbacks).toHaveLength(3);
      expect(fallbacks).toContain("TIMEOUT");
      expect(fallbacks).toContain("OVERLOADED");
      expect(fallbacks.every((f) => f === "TIMEOUT" || f === "OVERLOADED")).toBe(true);
    });
  });

  it("UNAVAILABLE once repeated failures open the circuit breaker, without calling CLIP", async () => {
    const service = await createTestApp({
      VLM_BREAKER_FAILURES: "2",
      VLM_BREAKER_RESET_MS: "60000",
    });
    await withFault(service, "throw", async (calls) => {
      expectCnnFallback(await classify(service, image(7)), "ERROR");
      expectCnnFallback(await classify(service, image(8)), "ERROR");
      const before = calls.count;
      expectCnnFallback(await classify(service, image(9)), "UNAVAILABLE");
      expect(calls.count).toBe(before);
    });
  });

  it("UNAVAILABLE when CLIP could not be loaded at start; the CNN still serves", async () => {
    const copy = await copyPack(join(REPO_ROOT, "models/fashion-mnist"));
    try {
      const pack = await loadPack(copy.dir);
      await writeFile(pack.file(pack.manifest.clip?.vision.model as string), "corrupt");
      const service = await createTestApp({ MODEL_PACK: copy.dir });
      expectCnnFallback(await classify(service, image(10)), "UNAVAILABLE");
      const ready = await service.app.fetch(new Request("http://localhost/ready"));
      expect(await ready.json()).toMatchObject({ ready: true, vlm: "unavailable" });
    } finally {
      await copy.remove();
    }
  });
});

describe("custom labels when CLIP's text tower fails", () => {
  // The labels are the caller's own, so only the text tower can embed them. A failure is a
  // fallback like any other CLIP failure (never an error): the CNN answers over the pack's
  // labels, and vlmReason CUSTOM_LABELS with a fallback says the caller's labels were not scored.
  const labels = ["a boot for hiking", "a summer dress", "a leather handbag"];

  function expectCustomLabelsFallback(answer: ClassificationResult, fallback: string) {
    expect(answer).toMatchObject({
      vlmUsed: false,
      vlmReason: "CUSTOM_LABELS",
      fallback,
      vlm: null,
      cnnWeight: null,
    });
    expect(answer.predictions).toEqual(answer.cnn.predictions);
    expect(labels).not.toContain(answer.top.label);
  }

  it("ERROR when the text tower throws; the set is not cached, and works once it recovers", async () => {
    const service = await createTestApp();
    const clip = service.runtime.models.clip;
    const sets = service.runtime.classifier.customLabelSets;
    const injected = injectTextFault(clip, "throw");
    try {
      expectCustomLabelsFallback(await classify(service, image(13), { labels }), "ERROR");
      expect(injected.calls.count).toBe(1);
      expect(sets.size).toBe(0);
      // The pack's own labels need no text tower: CLIP still answers those.
      expect((await classify(service, image(14))).vlmUsed).toBe(true);
    } finally {
      injected.restore();
    }
    const answer = await classify(service, image(13), { labels });
    expect(answer).toMatchObject({ vlmUsed: true, vlmReason: "CUSTOM_LABELS", fallback: null });
    expect(labels).toContain(answer.top.label);
    expect(sets.size).toBe(1);
  });

  it("TIMEOUT when the text tower hangs", async () => {
    const service = await createTestApp({ VLM_TIMEOUT_MS: "200" });
    const injected = injectTextFault(service.runtime.models.clip, "hang");
    try {
      expectCustomLabelsFallback(await classify(service, image(15), { labels }), "TIMEOUT");
    } finally {
      injected.restore();
    }
  });
});

describe("image-embedding cache", () => {
  it("answers a repeated image from the cache without calling CLIP", async () => {
    const service = await createTestApp();
    const first = await classify(service, image(11));
    await withFault(service, { delayMs: 0 }, async (calls) => {
      const again = await classify(service, image(11));
      expect(first.cacheHit).toBe(false);
      expect(again.cacheHit).toBe(true);
      expect(calls.count).toBe(0);
      expect(again.predictions).toEqual(first.predictions);
    });
  });

  it("shares one CLIP call between concurrent requests for the same image", async () => {
    const service = await createTestApp({ VLM_TIMEOUT_MS: "5000" });
    await withFault(service, { delayMs: 150 }, async (calls) => {
      const answers = await Promise.all([0, 1, 2].map(() => classify(service, image(12))));
      expect(calls.images).toBe(1);
      expect(answers.filter((a) => a.cacheHit)).toHaveLength(2);
      expect(answers.every((a) => a.vlmUsed)).toBe(true);
    });
  });
});
