import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/config.ts";
import { TEST_PACK } from "../testing/test-app.ts";
import { createRuntime } from "./runtime.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("warm-up before readiness", () => {
  it("runs the CNN and the CLIP vision tower at every batch size, and the text tower", async () => {
    const runtime = await createRuntime(
      loadConfig({ CACHE_DIR: ".cache/test", MODEL_PACK: TEST_PACK }),
    );
    const { maxBatchSize } = runtime.config.batching;
    expect(runtime.warmUp).toMatchObject({
      batchSizes: { cnn: range(maxBatchSize), clip_vision: range(maxBatchSize) },
      textTower: true,
    });
    // Those batches taught each batcher its latency, so deadlines hold from the first request.
    for (const size of range(maxBatchSize)) {
      expect(runtime.classifier.steps.clipVision?.estimateMs(size)).toBeGreaterThan(0);
    }
    const metrics = await runtime.metrics.registry.metrics();
    expect(metrics).toContain(`model_warmup_seconds ${runtime.warmUp.seconds}`);
    // The warm-up batches are not traffic: the histogram starts empty for clients.
    expect(metrics).not.toMatch(/^inference_batch_size_count\{[^}]*\} [1-9]/m);
  });

  it("follows BATCH_MAX_SIZE, and stops where a batcher's queue bound caps its batches", async () => {
    const runtime = await createRuntime(
      loadConfig({
        CACHE_DIR: ".cache/test",
        MODEL_PACK: TEST_PACK,
        BATCH_MAX_SIZE: "5",
        VLM_QUEUE_MAX: "3",
      }),
    );
    expect(runtime.warmUp.batchSizes).toEqual({ cnn: range(5), clip_vision: range(3) });
  });
});
