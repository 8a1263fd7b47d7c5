import { describe, expect, it, vi } from "vitest";
import { createByteLruCache } from "../cache/byte-lru-cache.ts";
import { createCoalescingCache } from "../cache/coalescing-cache.ts";
import { createCircuitBreaker } from "../load-control/circuit-breaker.ts";
import { createDynamicBatcher } from "../scheduling/dynamic-batcher.ts";
import { createLatencyModel } from "../scheduling/latency-model.ts";
import { createImageEmbedder } from "./image-embeddings.ts";

/** An embedder over a fake vision tower whose every call takes `callMs`, measured already. */
function embedderOver(run: (tensors: Float32Array[]) => Promise<Float32Array[]>, callMs: number) {
  const latency = createLatencyModel();
  latency.observe(1, callMs);
  const batcher = createDynamicBatcher({ run, latency });
  const breaker = createCircuitBreaker({ failureThreshold: 1 });
  const failure = vi.spyOn(breaker, "failure");
  const cache = createCoalescingCache(
    createByteLruCache<Float32Array>({ maxBytes: 1e6, sizeOf: (value) => value.byteLength }),
  );
  const embedImage = createImageEmbedder({ batcher, cache, breaker, modelKey: "test" });
  const image = (sha256: string) => ({ sha256, tensorOnMiss: async () => new Float32Array(3) });
  return { embedImage, image, breaker, failure };
}

describe("embedImage and the batcher's deadline", () => {
  it("falls back as OVERLOADED, at once and without a breaker failure, when CLIP cannot answer in time", async () => {
    const run = vi.fn(async (tensors: Float32Array[]) => tensors);
    const { embedImage, image, breaker, failure } = embedderOver(run, 400);

    const outcome = await embedImage(image("a"), 100);
    expect(outcome).toMatchObject({ ok: false, fallback: "OVERLOADED" });
    expect(run).not.toHaveBeenCalled();
    expect(failure).not.toHaveBeenCalled();
    expect(breaker.state).toBe("closed");
  });

  it("answers when the deadline leaves time", async () => {
    const run = vi.fn(async (tensors: Float32Array[]) => tensors);
    const { embedImage, image } = embedderOver(run, 1);
    await expect(embedImage(image("b"), 500)).resolves.toMatchObject({ ok: true });
  });

  it("reports an error to the breaker", async () => {
    const { embedImage, image, breaker } = embedderOver(async () => {
      throw new Error("injected");
    }, 1);
    await expect(embedImage(image("c"), 500)).resolves.toMatchObject({ fallback: "ERROR" });
    expect(breaker.state).toBe("open");
  });
});
