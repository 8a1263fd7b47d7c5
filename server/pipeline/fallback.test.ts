import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { loadPack } from "../packs/load-pack.ts";
import { faultyClipRunner, injectTextFault } from "../testing/clip-faults.ts";
import { copyPack } from "../testing/pack-copy.ts";
import { loadEmbeddedSamples, REPO_ROOT } from "../testing/shared-data.ts";
import {
  CLASSIFY,
  CLASSIFY_BATCH,
  type ClassificationResult,
  createFakeTestApp,
  createTestApp,
} from "../testing/test-app.ts";

const images = loadEmbeddedSamples().map((sample) => sample.bytes);
const image = (i: number) => images[i] as Buffer;

type Service = Pick<ReturnType<typeof createFakeTestApp>, "upload">;

async function classify(
  service: Service,
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

/**
 * The service on fake models, with CLIP's real step (embedding cache, batcher, breaker) in front
 * of a vision tower whose faults the test switches; the tower embeds every image as "dog".
 */
function serviceWithFaultyClip(env: Record<string, string> = {}) {
  const clip = faultyClipRunner(async (tensors) => tensors.map(() => Float32Array.of(0, 1, 0, 0)));
  const service = createFakeTestApp(env, { pipeline: { runClip: clip.run } });
  return { ...service, clip };
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
    const service = serviceWithFaultyClip();
    service.clip.inject("throw");
    expectCnnFallback(await classify(service, image(0)), "ERROR");
    // Once CLIP recovers, answers use it again.
    service.clip.inject(null);
    expect((await classify(service, image(1))).vlmUsed).toBe(true);
  });

  it("TIMEOUT when CLIP is slow: the answer does not wait for it", async () => {
    const service = serviceWithFaultyClip({ VLM_TIMEOUT_MS: "100" });
    service.clip.inject("hold");
    try {
      expectCnnFallback(await classify(service, image(2)), "TIMEOUT");
      // CLIP's call is still running: the answer came without it.
      expect(service.clip.waiting).toBe(1);
    } finally {
      service.clip.release();
    }
  });

  it("TIMEOUT when CLIP hangs", async () => {
    const service = serviceWithFaultyClip({ VLM_TIMEOUT_MS: "100" });
    service.clip.inject("hang");
    try {
      expectCnnFallback(await classify(service, image(3)), "TIMEOUT");
    } finally {
      service.clip.release();
    }
  });

  it("OVERLOADED when CLIP's queue is full, for the images that did not fit", async () => {
    const service = serviceWithFaultyClip({
      VLM_QUEUE_MAX: "1",
      BATCH_MAX_SIZE: "1",
      VLM_TIMEOUT_MS: "300",
    });
    service.clip.inject("hang");
    try {
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
    } finally {
      service.clip.release();
    }
  });

  it("UNAVAILABLE once repeated failures open the circuit breaker, without calling CLIP", async () => {
    const service = serviceWithFaultyClip({
      VLM_BREAKER_FAILURES: "2",
      VLM_BREAKER_RESET_MS: "60000",
    });
    service.clip.inject("throw");
    expectCnnFallback(await classify(service, image(7)), "ERROR");
    expectCnnFallback(await classify(service, image(8)), "ERROR");
    const before = service.clip.calls.count;
    expectCnnFallback(await classify(service, image(9)), "UNAVAILABLE");
    expect(service.clip.calls.count).toBe(before);
  });
});

describe("a CLIP that could not be loaded at start (real models: loading is what is tested)", () => {
  it("UNAVAILABLE for every answer; the CNN still serves", async () => {
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
    const service = serviceWithFaultyClip();
    const sets = service.runtime.classifier.customLabelSets;
    const injected = injectTextFault(service.runtime.models.clip, "throw");
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
    const service = serviceWithFaultyClip({ VLM_TIMEOUT_MS: "200" });
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
    const service = serviceWithFaultyClip();
    const first = await classify(service, image(11));
    const calls = service.clip.calls.count;
    const again = await classify(service, image(11));
    expect(first.cacheHit).toBe(false);
    expect(again.cacheHit).toBe(true);
    expect(service.clip.calls.count).toBe(calls);
    expect(again.predictions).toEqual(first.predictions);
  });

  it("shares one CLIP call between concurrent requests for the same image", async () => {
    const service = serviceWithFaultyClip();
    service.clip.inject("hold");
    const answering = Promise.all([0, 1, 2].map(() => classify(service, image(12))));
    // CLIP is held until all three have asked for the image's embedding.
    await vi.waitFor(() => expect(service.calls.clip).toBe(3), { timeout: 20_000, interval: 1 });
    service.clip.release();
    const answers = await answering;
    expect(service.clip.calls.images).toBe(1);
    expect(answers.filter((a) => a.cacheHit)).toHaveLength(2);
    expect(answers.every((a) => a.vlmUsed)).toBe(true);
  });
});
