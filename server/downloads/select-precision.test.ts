import { describe, expect, it } from "vitest";
import { loadCatalogPack } from "./catalog.ts";
import { megabytes } from "./progress.ts";
import { selectPrecision } from "./select-precision.ts";

const bytes = (pack: { downloads: readonly { size?: number | undefined }[] }) =>
  pack.downloads.reduce((sum, d) => sum + (d.size ?? 0), 0);

describe("fetching one precision only", () => {
  it("keeps the int8 files of the CLIP pack, each tower running its int8 file alone", async () => {
    const full = await loadCatalogPack("mobilenetv2-clip-vit-b32");
    const int8 = selectPrecision(full, "int8");
    expect(int8.downloads.map((d) => d.path)).toEqual([
      "cnn/mobilenetv2-12-int8.onnx",
      "imagenet/synset.txt",
      "clip/vision_model_quantized.onnx",
      "clip/text_model_quantized.onnx",
      "clip/vocab.json",
      "clip/merges.txt",
      "clip/preprocessor_config.json",
    ]);
    expect(int8.manifest.cnn).toMatchObject({
      model: "cnn/mobilenetv2-12-int8.onnx",
      precisions: { int8: "cnn/mobilenetv2-12-int8.onnx" },
    });
    expect(int8.manifest.clip?.vision.model).toBe("clip/vision_model_quantized.onnx");
    expect(int8.manifest.clip?.text.precisions).toEqual({
      int8: "clip/text_model_quantized.onnx",
    });
    // The sizes docs/models.md quotes (preprocessor_config.json, unpinned, adds under 1 kB).
    expect(megabytes(bytes(full))).toBe("778.4 MB");
    expect(megabytes(bytes(int8))).toBe("158.7 MB");
    expect(megabytes(bytes(selectPrecision(full, "fp32")))).toBe("621.1 MB");
  });

  it("keeps the fp32 files, and leaves every tower its default file", async () => {
    const full = await loadCatalogPack("mobilenetv2-clip-vit-b32");
    const fp32 = selectPrecision(full, "fp32");
    expect(fp32.downloads.map((d) => d.path)).not.toContain("clip/vision_model_quantized.onnx");
    expect(fp32.manifest.cnn.model).toBe(full.manifest.cnn.model);
    expect(fp32.manifest.clip?.vision.model).toBe(full.manifest.clip?.vision.model);
    expect(fp32.labels).toEqual(full.labels);
  });
});
