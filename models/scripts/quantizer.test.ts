import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embedLabels } from "../../server/inference/label-embeddings.ts";
import { loadModels, type Models } from "../../server/inference/load-models.ts";
import { argMax, dot } from "../../server/math/vector-math.ts";
import { loadPack } from "../../server/packs/load-pack.ts";
import { decodeImage } from "../../server/pipeline/decode.ts";
import { zeroShotScores } from "../../server/pipeline/zero-shot.ts";
import { hasQuantizer, quantizedEmbeddedPack } from "../../server/testing/quantized-pack.ts";
import { loadEmbeddedSamples } from "../../server/testing/shared-data.ts";

if (!hasQuantizer)
  console.warn("skipping the quantizer tests: /usr/bin/python3 cannot import onnx");

// The embeddings are unit length, so their dot product is the cosine.
const cosine = dot;

describe.skipIf(!hasQuantizer)("the INT8 quantizer on the embedded pack", () => {
  let copy: Awaited<ReturnType<typeof quantizedEmbeddedPack>>;
  let fp32: Models;
  let int8: Models;
  beforeAll(async () => {
    copy = await quantizedEmbeddedPack();
    const pack = await loadPack(copy.dir);
    const options = { intraOpThreads: 1, cacheDir: join(copy.dir, ".cache") };
    fp32 = await loadModels(pack, { ...options, precision: "fp32" });
    int8 = await loadModels(pack, { ...options, precision: "int8" });
  }, 60_000);
  afterAll(() => copy?.remove());

  it("writes int8 files that the service loads for VLM_PRECISION=int8", () => {
    expect(existsSync(join(copy.dir, "clip/vision_model_int8.onnx"))).toBe(true);
    expect(int8.clip?.vision.model.path).toMatch(/vision_model_int8\.onnx$/);
    expect(int8.clip?.text.model.path).toMatch(/text_model_int8\.onnx$/);
    expect(fp32.clip?.vision.model.path).toMatch(/vision_model\.onnx$/);
  });

  it("keeps image embeddings within cosine 0.999 of fp32 and the same zero-shot answer", async () => {
    const samples = loadEmbeddedSamples();
    const spec = fp32.clip?.vision.preprocess;
    if (!spec || !fp32.clip || !int8.clip) throw new Error("CLIP did not load");
    const limits = { maxPixels: 1e8, maxSide: 1e5, minSide: 1 };
    const tensors = await Promise.all(
      samples.map(async (s) => (await decodeImage(s.bytes, spec, limits)).tensor),
    );
    const [a, b] = [await fp32.clip.vision.embed(tensors), await int8.clip.vision.embed(tensors)];
    a.forEach((embedding, i) => {
      expect(cosine(embedding, b[i] as Float32Array)).toBeGreaterThanOrEqual(0.999);
      const answer = (e: Float32Array, m: Models) =>
        argMax(zeroShotScores(e, m.clip?.labelEmbeddings as never, 1));
      expect(answer(b[i] as Float32Array, int8)).toBe(answer(embedding, fp32));
    });
  });

  it("keeps label text embeddings within cosine 0.999 of fp32", async () => {
    if (!fp32.clip || !int8.clip) throw new Error("CLIP did not load");
    const labels = [...fp32.pack.labels, "running shoe", "handbag"];
    const [a, b] = [
      await embedLabels(fp32.clip.text, labels, fp32.pack.templates),
      await embedLabels(int8.clip.text, labels, fp32.pack.templates),
    ];
    for (let row = 0; row < labels.length; row++) {
      const slice = (m: Float32Array) => m.subarray(row * a.dim, (row + 1) * a.dim);
      expect(cosine(slice(a.matrix), slice(b.matrix))).toBeGreaterThanOrEqual(0.999);
    }
  });
});
