import { describe, expect, it } from "vitest";
import { preprocessImage } from "../preprocess/preprocess-image.ts";
import type { PreprocessSpec } from "../preprocess/preprocessor-config.ts";
import { classifyOne, createFakePipeline, fakeImage } from "../testing/fake-pipeline.ts";
import type { EmbeddingOutcome } from "./image-embeddings.ts";
import type { ClassifyOptions } from "./types.ts";

/** CLIP normalises differently from the fake CNN, so it needs an input of its own. */
const CLIP_SPEC: PreprocessSpec = {
  resize: { height: 2, width: 2 },
  crop: null,
  kernel: "cubic",
  rescale: 1 / 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.25, 0.25],
  outputSize: { height: 2, width: 2 },
};

describe("CLIP with its own preprocessing", () => {
  it.each<ClassifyOptions>([
    { topK: 2, vlm: "FORCE", labels: null },
    { topK: 2, vlm: "AUTO", labels: null },
  ])("decodes the image once and resizes it for each model (vlm $vlm)", async (options) => {
    const seen: Float32Array[] = [];
    const service = createFakePipeline({
      clipSpec: CLIP_SPEC,
      cnnScores: [0.5, 0.3, 0.2],
      embed: async (tensor): Promise<EmbeddingOutcome> => {
        seen.push(tensor);
        return { ok: true, embedding: Float32Array.of(0, 1, 0, 0), cacheHit: false, ms: 1 };
      },
    });
    const image = await fakeImage();
    expect(await classifyOne(service.classifier, image, options)).toMatchObject({ vlmUsed: true });
    expect(service.calls.decode).toBe(1);
    const limits = { maxPixels: 1_000_000, maxSide: 4096, minSide: 1 };
    expect(seen).toEqual([await preprocessImage(image.bytes, CLIP_SPEC, limits)]);
  });

  it("with vlm OFF, makes no input for CLIP", async () => {
    const service = createFakePipeline({ clipSpec: CLIP_SPEC });
    await classifyOne(service.classifier, await fakeImage(), { topK: 2, vlm: "OFF", labels: null });
    expect(service.calls).toEqual({ decode: 1, cnn: 1, clip: 0 });
  });
});
