import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256File } from "../hashing/sha256.ts";
import { METRICS } from "../telemetry/metric-names.ts";
import { sampleValue } from "../telemetry/metrics-text.ts";
import { REPO_ROOT } from "../testing/shared-data.ts";
import { createTestApp, type TestApp } from "../testing/test-app.ts";

const IMAGENET = join(REPO_ROOT, "models/imagenet");

// The default pack runs int8 files as its default `model`s: what /ready and the metrics call
// them must come from the pack, not from a guess.
describe("what the service says about its models, on the imagenet pack", () => {
  let service: TestApp;
  let metrics = "";
  beforeAll(async () => {
    service = await createTestApp({ MODEL_PACK: "imagenet", ORT_INTRA_OP_THREADS: "1" });
    metrics = await (await service.app.fetch(new Request("http://localhost/metrics"))).text();
  }, 180_000);
  afterAll(() => service?.runtime.close());

  it("reports the int8 default files as int8 on /ready", async () => {
    const ready = (await (
      await service.app.fetch(new Request("http://localhost/ready"))
    ).json()) as {
      variants: Record<string, { precision: string; file: string }>;
    };
    expect(ready.variants.cnn).toMatchObject({ file: "cnn/model_int8.onnx", precision: "int8" });
    expect(ready.variants.clipVision).toMatchObject({
      file: "clip/vision_model_int8.onnx",
      precision: "int8",
    });
    expect(metrics).toMatch(/model_variant_info\{role="cnn",precision="int8",/);
  });

  it("exports model_info per role with the pack, its version, the file, its sha256 and precision", async () => {
    const files = {
      cnn: ["cnn/model_int8.onnx", "int8"],
      clip_vision: ["clip/vision_model_int8.onnx", "int8"],
      clip_text: ["clip/text_model_int8.onnx", "int8"],
    };
    for (const [role, [file, precision]] of Object.entries(files)) {
      const labels = {
        pack: "imagenet",
        version: "1.0.0",
        role,
        file: file as string,
        sha256: await sha256File(join(IMAGENET, file as string)),
        precision: precision as string,
      };
      expect(sampleValue(metrics, METRICS.modelInfo, labels), role).toBe(1);
      // One meaning per label: the load time is keyed by the same role model_info is.
      expect(sampleValue(metrics, METRICS.modelLoad, { role }), role).toBeGreaterThan(0);
    }
  });

  it("exports the CLIP breaker's state, closed at start", () => {
    const state = (s: string) =>
      sampleValue(metrics, METRICS.breakerState, { role: "clip_vision", state: s });
    expect([state("closed"), state("open"), state("half-open")]).toEqual([1, 0, 0]);
  });
});
