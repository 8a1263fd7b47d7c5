import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config/config.ts";
import {
  DEBIAN_FASHION_MNIST,
  fashionMnistImages,
  hasFashionMnist,
} from "../evaluation/fashion-mnist-idx.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import type { Classification } from "../pipeline/types.ts";
import { createRuntime, type Runtime } from "../runtime/runtime.ts";

/** The top-1 accuracy the calibrated cascade must reach on the test images. */
const TARGET = 0.923;

const present = hasFashionMnist();
if (!present) {
  console.warn(
    `skipping the Fashion-MNIST calibration gate: ${DEBIAN_FASHION_MNIST} not found (apt-get install dataset-fashion-mnist)`,
  );
}

/**
 * The embedded pack's committed calibration, served: all 10,000 test images (which the fit never
 * saw) through the service's classify in AUTO mode, so the CNN's own answer and the final
 * answer come from the same responses.
 */
describe.skipIf(!present)("Fashion-MNIST: the committed calibration on the test images", () => {
  let runtime: Runtime;
  const tally = { images: 0, cnn: 0, auto: 0, routed: 0, fallbacks: 0 };

  beforeAll(async () => {
    runtime = await createRuntime(
      loadConfig({ MODEL_PACK: "fashion-mnist", VLM_TIMEOUT_MS: "60000" }),
    );
    const { labels } = runtime.models.pack;
    // Within CLIP's queue bound, so no image is shed as overloaded.
    const batchSize = Math.min(64, runtime.config.batching.clipQueueMax);
    for await (const batch of fashionMnistImages(DEBIAN_FASHION_MNIST, "t10k", batchSize)) {
      const answers = await runtime.classifier.classifyImages(
        batch.map(({ bytes }) => ({ bytes, sha256: sha256Hex(bytes) })),
        { topK: 1, vlm: "AUTO", labels: null },
      );
      batch.forEach(({ label }, i) => {
        const answer = answers[i] as Classification;
        tally.images++;
        if (answer.cnn.top.label === labels[label]) tally.cnn++;
        if (answer.top.label === labels[label]) tally.auto++;
        if (answer.vlmUsed) tally.routed++;
        if (answer.fallback) tally.fallbacks++;
      });
    }
  }, 600_000);
  afterAll(() => runtime?.close());

  it("is never less accurate than the CNN alone, and serves what the pack reports", () => {
    const { calibration } = runtime.models.pack;
    expect(calibration?.heldOut?.method).toBe("test-split");
    expect(tally).toMatchObject({ images: 10_000, fallbacks: 0 });
    const cnn = tally.cnn / tally.images;
    const auto = tally.auto / tally.images;
    expect(auto).toBeGreaterThanOrEqual(cnn);
    // The pipeline reproduces the committed held-out figures (to an image or so of float noise).
    expect(Math.abs(auto - (calibration?.heldOut?.auto ?? 0))).toBeLessThanOrEqual(2e-4);
    expect(
      Math.abs(tally.routed / tally.images - (calibration?.heldOut?.share ?? 0)),
    ).toBeLessThanOrEqual(2e-4);
  });

  it(`reaches the ${(TARGET * 100).toFixed(1)} % target on the test images`, () => {
    expect(tally.auto / tally.images).toBeGreaterThanOrEqual(TARGET);
  });
});
