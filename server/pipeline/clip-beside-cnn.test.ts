import { describe, expect, it, vi } from "vitest";
import { classifyOne, createFakePipeline, fakeImage } from "../testing/fake-pipeline.ts";
import { gate } from "../testing/gate.ts";
import type { EmbeddingOutcome } from "./image-embeddings.ts";
import type { ClassifyOptions } from "./types.ts";

/** The pipeline with the CNN held on a gate, recording when each model's runner was called. */
function heldCnn(cnnScores = [0.9, 0.06, 0.04]) {
  const cnnGate = gate<Float32Array>();
  const events: string[] = [];
  const fake = createFakePipeline({
    runCnn: () => {
      events.push("cnn called");
      return cnnGate.promise.then((scores) => {
        events.push("cnn answered");
        return scores;
      });
    },
    embed: async (): Promise<EmbeddingOutcome> => {
      events.push("clip called");
      return { ok: true, embedding: Float32Array.of(0, 1, 0, 0), cacheHit: false, ms: 1 };
    },
  });
  const releaseCnn = () => cnnGate.open(Float32Array.from(cnnScores, Math.log));
  return { ...fake, events, releaseCnn };
}

/**
 * Resolves once `events` has `event`. The decode before it runs on libuv's pool, so on a busy
 * machine it can take many turns of the loop; the bound only ends a test that would hang.
 */
async function until(events: string[], event: string) {
  await vi.waitFor(() => expect(events).toContain(event), { timeout: 20_000, interval: 1 });
}

describe("CLIP beside the CNN", () => {
  it.each<[string, ClassifyOptions, string]>([
    ["vlm FORCE", { topK: 2, vlm: "FORCE", labels: null }, "FORCED"],
    ["custom labels", { topK: 2, vlm: "AUTO", labels: ["a", "b", "c"] }, "CUSTOM_LABELS"],
  ])("with %s, calls CLIP's runner before the CNN's has answered", async (_, options, reason) => {
    const service = heldCnn();
    const answer = classifyOne(service.classifier, await fakeImage(), options);
    await until(service.events, "clip called");
    expect(service.events).toEqual(["cnn called", "clip called"]);
    service.releaseCnn();
    expect(await answer).toMatchObject({ vlmReason: reason, vlmUsed: true, fallback: null });
    expect(service.calls.clip).toBe(1);
  });

  it("with AUTO, waits for the CNN: its confidence decides whether CLIP is asked at all", async () => {
    const unsure = heldCnn([0.5, 0.3, 0.2]);
    const answer = classifyOne(unsure.classifier, await fakeImage(), {
      topK: 2,
      vlm: "AUTO",
      labels: null,
    });
    await until(unsure.events, "cnn called");
    // Turns enough for an early CLIP call to have happened, were there one.
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(unsure.events).toEqual(["cnn called"]);
    unsure.releaseCnn();
    expect(await answer).toMatchObject({ vlmReason: "LOW_CONFIDENCE", vlmUsed: true });
    expect(unsure.events).toEqual(["cnn called", "cnn answered", "clip called"]);
  });
});
