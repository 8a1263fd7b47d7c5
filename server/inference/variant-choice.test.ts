import { describe, expect, it } from "vitest";
import {
  candidateVariants,
  chooseVariant,
  type Variant,
  type VariantTrial,
} from "./variant-choice.ts";

const variant = (precision: Variant["precision"], threads: number, exactInt8 = false): Variant => ({
  precision,
  file: `${precision}.onnx`,
  threads,
  exactInt8,
});

const trial = (
  v: Variant,
  msPerImage: number,
  top1Agreement = 1,
  cosineMean = 1,
): VariantTrial => ({
  variant: v,
  msPerImage,
  top1Agreement,
  cosineMean,
});

describe("choosing the fastest exact variant", () => {
  it("keeps the fastest variant that matches the reference", () => {
    const fast = trial(variant("int8", 2, true), 55, 0.998, 0.9995);
    const choice = chooseVariant([
      trial(variant("fp32", 1), 200),
      trial(variant("fp32", 2), 110),
      trial(variant("int8", 1, true), 95, 0.998, 0.9995),
      fast,
    ]);
    expect(choice.chosen).toBe(fast);
    expect(choice.considered.map((c) => c.verdict)).toEqual([
      "slower: 200.00 vs 55.00 ms/image",
      "slower: 110.00 vs 55.00 ms/image",
      "slower: 95.00 vs 55.00 ms/image",
      "chosen",
    ]);
  });

  it("passes over a faster variant whose top-1 answers or embeddings drift", () => {
    const reference = trial(variant("fp32", 2), 110);
    const choice = chooseVariant([
      reference,
      trial(variant("int8", 2), 40, 0.99, 0.9999),
      trial(variant("fp16", 2), 60, 1, 0.998),
    ]);
    expect(choice.chosen).toBe(reference);
    expect(choice.considered[1]?.verdict).toBe("top-1 agreement 0.9900 < 0.995");
    expect(choice.considered[2]?.verdict).toBe("cosine 0.99800 < 0.999");
  });

  it("accepts a variant exactly at the bar", () => {
    const atBar = trial(variant("int8", 2), 50, 0.995, 0.999);
    expect(chooseVariant([trial(variant("fp32", 2), 100), atBar]).chosen).toBe(atBar);
  });

  it("passes over a variant that failed to run", () => {
    const reference = trial(variant("fp32", 1), 100);
    const failed = { ...trial(variant("fp16", 1), Infinity, 0, 0), error: "no kernel" };
    const choice = chooseVariant([reference, failed]);
    expect(choice.chosen).toBe(reference);
    expect(choice.considered[1]?.verdict).toBe("failed: no kernel");
  });

  it("calls a difference within 1 % a tie and takes fewer threads", () => {
    const one = trial(variant("fp32", 1), 100.5);
    expect(chooseVariant([trial(variant("fp32", 2), 100), one]).chosen).toBe(one);
  });

  it("refuses to choose when not even the reference qualifies", () => {
    expect(() => chooseVariant([trial(variant("fp32", 1), 100, 0.5)])).toThrow(/no variant/);
  });
});

describe("the variants worth timing", () => {
  it("times every file on every thread count, int8 with the exact kernels without VNNI", () => {
    const variants = candidateVariants({
      model: "vision.onnx",
      modelPrecision: "fp32",
      precisions: { int8: "vision_int8.onnx" },
      threadCounts: [2, 1, 2],
      cpuHasVnni: false,
    });
    expect(variants).toEqual([
      { precision: "fp32", file: "vision.onnx", threads: 1, exactInt8: false },
      { precision: "fp32", file: "vision.onnx", threads: 2, exactInt8: false },
      { precision: "int8", file: "vision_int8.onnx", threads: 1, exactInt8: true },
      { precision: "int8", file: "vision_int8.onnx", threads: 2, exactInt8: true },
    ]);
  });

  it("leaves int8 on its own kernels where the CPU has VNNI", () => {
    const variants = candidateVariants({
      model: "m.onnx",
      modelPrecision: "fp32",
      precisions: { int8: "m8.onnx" },
      threadCounts: [4],
      cpuHasVnni: true,
    });
    expect(variants.find((v) => v.precision === "int8")?.exactInt8).toBe(false);
  });

  it("labels an int8 default file int8, with the exact kernels without VNNI", () => {
    const variants = candidateVariants({
      model: "cnn/model_int8.onnx",
      modelPrecision: "int8",
      precisions: {},
      threadCounts: [1],
      cpuHasVnni: false,
    });
    expect(variants).toEqual([
      { precision: "int8", file: "cnn/model_int8.onnx", threads: 1, exactInt8: true },
    ]);
  });

  it("times a file listed as its own fp32 precision once", () => {
    const variants = candidateVariants({
      model: "m.onnx",
      modelPrecision: "fp32",
      precisions: { fp32: "m.onnx" },
      threadCounts: [1],
      cpuHasVnni: false,
    });
    expect(variants).toHaveLength(1);
  });
});
