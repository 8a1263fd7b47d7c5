import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../testing/shared-data.ts";
import { filePrecision, graphPrecision } from "./model-precision.ts";

const MODELS = join(REPO_ROOT, "models");

describe("graphPrecision", () => {
  it("reads int8 from the quantized graphs the packs ship, fp32 from the float ones", async () => {
    // QOperator (QLinearConv), QDQ, and the project's dynamic quantization.
    expect(await graphPrecision(join(MODELS, "imagenet/cnn/model_int8.onnx"))).toBe("int8");
    expect(await graphPrecision(join(MODELS, "imagenet/clip/vision_model_int8.onnx"))).toBe("int8");
    expect(await graphPrecision(join(MODELS, "imagenet/clip/text_model_int8.onnx"))).toBe("int8");
    expect(await graphPrecision(join(MODELS, "imagenet/clip/text_model.onnx"))).toBe("fp32");
    expect(await graphPrecision(join(MODELS, "fashion-mnist/cnn/model.onnx"))).toBe("fp32");
  });

  it("finds an operator whose bytes straddle two read chunks, and not a mere name", async () => {
    const dir = await mkdtemp(join(tmpdir(), "precision-"));
    try {
      const op = Buffer.concat([Buffer.from([0x22, 13]), Buffer.from("MatMulInteger")]);
      // fs streams read 64 KiB at a time: the op_type starts 5 bytes before the boundary.
      const straddling = Buffer.concat([Buffer.alloc(65_536 - 5), op, Buffer.alloc(100)]);
      await writeFile(join(dir, "split.onnx"), straddling);
      expect(await graphPrecision(join(dir, "split.onnx"))).toBe("int8");
      // The same word as a node's name (field 1, tag 0x0a), not its operator.
      const named = Buffer.concat([Buffer.from([0x0a, 13]), Buffer.from("MatMulInteger")]);
      await writeFile(join(dir, "named.onnx"), named);
      expect(await graphPrecision(join(dir, "named.onnx"))).toBe("fp32");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("filePrecision", () => {
  const resolve = (file: string) => join(MODELS, "imagenet", file);
  it("takes a file's key under precisions, then the declared precision, then the graph", async () => {
    const text = {
      model: "clip/text_model.onnx",
      precisions: { int8: "clip/text_model_int8.onnx" },
    };
    expect(await filePrecision(text, "clip/text_model_int8.onnx", resolve)).toBe("int8");
    expect(await filePrecision({ ...text, precision: "fp16" }, text.model, resolve)).toBe("fp16");
    expect(await filePrecision(text, text.model, resolve)).toBe("fp32");
    expect(
      await filePrecision({ model: "cnn/model_int8.onnx" }, "cnn/model_int8.onnx", resolve),
    ).toBe("int8");
  });
});
