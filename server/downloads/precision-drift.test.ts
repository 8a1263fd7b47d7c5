import { describe, expect, it } from "vitest";
import { applyCheck } from "./pack-drift.ts";
import { type DriftMeasurement, decideDefault, describeDrift } from "./precision-drift.ts";

const exact = { top1Agreement: 1, cosineMean: 1 };
const measured = (edit: Partial<DriftMeasurement> = {}): DriftMeasurement => ({
  int8File: "clip/vision_model_quantized.onnx",
  fp32File: "clip/vision_model.onnx",
  images: 16,
  imageSource: "synthetic images",
  top1Over: "1000 labels",
  int8VsFp32: exact,
  aloneVsBatchOf8: { int8: exact, fp32: exact },
  cpu: "Test CPU (avx2)",
  ...edit,
});

describe("the int8 drift verdict", () => {
  it("keeps int8 when it matches fp32 and itself across batch sizes within the bar", () => {
    const check = decideDefault(
      measured({ int8VsFp32: { top1Agreement: 0.99, cosineMean: 0.995 } }),
    );
    expect(check).toMatchObject({ defaultPrecision: "int8", shortfalls: [] });
    expect(describeDrift(check).at(-1)).toBe(
      "  int8 meets the bar (cosine ≥ 0.99, top-1 ≥ 99.0 %): CLIP runs int8",
    );
  });

  it("defaults to fp32 below cosine 0.99 to fp32, and says why", () => {
    const check = decideDefault(measured({ int8VsFp32: { top1Agreement: 1, cosineMean: 0.94 } }));
    expect(check.defaultPrecision).toBe("fp32");
    expect(check.shortfalls).toEqual(["int8 vs fp32: cosine 0.94000 < 0.99"]);
    expect(describeDrift(check).at(-1)).toContain("The pack defaults to fp32");
  });

  it("defaults to fp32 below 99 % top-1 agreement", () => {
    const check = decideDefault(
      measured({ int8VsFp32: { top1Agreement: 0.9375, cosineMean: 0.999 } }),
    );
    expect(check.shortfalls).toEqual(["int8 vs fp32: top-1 agreement 0.9375 < 0.99"]);
    expect(check.defaultPrecision).toBe("fp32");
  });

  it("defaults to fp32 when an image embeds differently alone than in a batch of 8", () => {
    const check = decideDefault(
      measured({
        aloneVsBatchOf8: { int8: { top1Agreement: 0.875, cosineMean: 0.97 }, fp32: exact },
      }),
    );
    expect(check.shortfalls).toEqual([
      "int8 alone vs in a batch of 8: top-1 agreement 0.8750 < 0.99",
    ]);
    expect(check.defaultPrecision).toBe("fp32");
  });

  it("keeps int8, with its shortfall said, when there is no fp32 file to fall back on", () => {
    const check = decideDefault(
      measured({
        fp32File: null,
        int8VsFp32: null,
        aloneVsBatchOf8: { int8: { top1Agreement: 1, cosineMean: 0.9 }, fp32: null },
      }),
    );
    expect(check.defaultPrecision).toBe("int8");
    expect(check.shortfalls).toHaveLength(1);
    expect(describeDrift(check)[1]).toBe(
      "  int8 vs fp32: not measured (the pack has no fp32 vision file)",
    );
    expect(describeDrift(check).at(-1)).toContain("no fp32 vision file to fall back on");
  });
});

describe("the verdict in pack.json", () => {
  const manifest = {
    name: "p",
    description: "",
    labels: "labels.json",
    cnn: {
      model: "cnn.onnx",
      input: "x",
      output: "y",
      output_kind: "logits" as const,
      preprocess: "c.json",
    },
    clip: {
      vision: {
        model: "clip/v.onnx",
        input: "pixel_values",
        output: "image_embeds",
        precisions: { fp32: "clip/v.onnx", int8: "clip/v8.onnx" },
      },
      text: {
        model: "clip/t.onnx",
        input: "input_ids",
        output: "text_embeds",
        context_length: 77,
        needs_attention_mask: false,
        precisions: { fp32: "clip/t.onnx", int8: "clip/t8.onnx" },
      },
      tokenizer: { vocab: "v.json", merges: "m.txt" },
      preprocess: "p.json",
      logit_scale: 100,
    },
  };

  it("leaves int8 out of both CLIP towers when the pack defaults to fp32, and says why", () => {
    const check = decideDefault(measured({ int8VsFp32: { top1Agreement: 1, cosineMean: 0.94 } }));
    const applied = applyCheck(manifest, check);
    expect(applied.clip?.vision.precisions).toEqual({ fp32: "clip/v.onnx" });
    expect(applied.clip?.text.precisions).toEqual({ fp32: "clip/t.onnx" });
    expect(applied.precision_check).toEqual({
      default_precision: "fp32",
      reason:
        "int8 misses the bar on 16 synthetic images (Test CPU (avx2)): int8 vs fp32: cosine 0.94000 < 0.99",
    });
  });

  it("keeps int8 and records the check when int8 meets the bar", () => {
    const applied = applyCheck(manifest, decideDefault(measured()));
    expect(applied.clip).toEqual(manifest.clip);
    expect(applied.precision_check?.default_precision).toBe("int8");
  });
});
