import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPreprocessorConfig, parsePreprocessorConfig } from "./preprocessor-config.ts";

const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

/** openai/clip-vit-base-patch32's preprocessor_config.json: integer size and crop_size. */
const HF_CLIP_VIT_B32 = {
  crop_size: 224,
  do_center_crop: true,
  do_normalize: true,
  do_resize: true,
  feature_extractor_type: "CLIPFeatureExtractor",
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  size: 224,
};

/** The imagenet-mini pack's config: shortest edge, {height, width} crop, ImageNet mean/std. */
const IMAGENET_MINI = {
  do_convert_rgb: true,
  do_resize: true,
  size: { shortest_edge: 256 },
  resample: 2,
  do_center_crop: true,
  crop_size: { height: 224, width: 224 },
  do_rescale: true,
  rescale_factor: 0.00392156862745098,
  do_normalize: true,
  image_mean: [0.485, 0.456, 0.406],
  image_std: [0.229, 0.224, 0.225],
};

/** A 28×28 model: fixed {height, width} resize and no crop. */
const FIXED_28 = {
  do_resize: true,
  size: { height: 28, width: 28 },
  resample: 2,
  do_center_crop: false,
  image_mean: [0.286, 0.286, 0.286],
  image_std: [0.353, 0.353, 0.353],
};

describe("parsePreprocessorConfig", () => {
  it("uses CLIPImageProcessor's defaults for an empty object", () => {
    expect(parsePreprocessorConfig({})).toEqual({
      resize: { shortestEdge: 224 },
      kernel: "cubic",
      crop: { height: 224, width: 224 },
      rescale: 1 / 255,
      mean: OPENAI_CLIP_MEAN,
      std: OPENAI_CLIP_STD,
      outputSize: { height: 224, width: 224 },
    });
  });

  it("reads a real Hugging Face CLIP config with integer size and crop_size", () => {
    expect(parsePreprocessorConfig(HF_CLIP_VIT_B32)).toEqual({
      resize: { shortestEdge: 224 },
      kernel: "cubic",
      crop: { height: 224, width: 224 },
      rescale: 1 / 255,
      mean: OPENAI_CLIP_MEAN,
      std: OPENAI_CLIP_STD,
      outputSize: { height: 224, width: 224 },
    });
  });

  it("reads size.shortest_edge and a {height, width} crop", () => {
    expect(parsePreprocessorConfig(IMAGENET_MINI)).toEqual({
      resize: { shortestEdge: 256 },
      kernel: "linear",
      crop: { height: 224, width: 224 },
      rescale: 0.00392156862745098,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      outputSize: { height: 224, width: 224 },
    });
  });

  it("reads a fixed {height, width} size without a crop", () => {
    const spec = parsePreprocessorConfig(FIXED_28);
    expect(spec.resize).toEqual({ height: 28, width: 28 });
    expect(spec.crop).toBeNull();
    expect(spec.outputSize).toEqual({ height: 28, width: 28 });
  });

  it("keeps a non-square {height, width} the right way round", () => {
    const spec = parsePreprocessorConfig({
      size: { height: 20, width: 30 },
      do_center_crop: false,
    });
    expect(spec.resize).toEqual({ height: 20, width: 30 });
    expect(spec.outputSize).toEqual({ height: 20, width: 30 });
  });

  it("reads a non-square crop", () => {
    const spec = parsePreprocessorConfig({
      size: { shortest_edge: 300 },
      crop_size: { height: 240, width: 280 },
    });
    expect(spec.crop).toEqual({ height: 240, width: 280 });
    expect(spec.outputSize).toEqual({ height: 240, width: 280 });
  });

  it("reads crop_size given as {shortest_edge} as a square", () => {
    const spec = parsePreprocessorConfig({ size: 256, crop_size: { shortest_edge: 200 } });
    expect(spec.crop).toEqual({ height: 200, width: 200 });
  });

  it.each([
    [0, "nearest"],
    [1, "lanczos3"],
    [2, "linear"],
    [3, "cubic"],
  ])("maps PIL resample %i to sharp kernel %s", (resample, kernel) => {
    expect(parsePreprocessorConfig({ resample }).kernel).toBe(kernel);
  });

  it.each([
    [4, "BOX"],
    [5, "HAMMING"],
    [-1, "negative"],
  ])("rejects PIL resample %i (%s), which sharp has no kernel for", (resample) => {
    expect(() => parsePreprocessorConfig({ resample })).toThrow(
      `preprocessor_config.json: resample ${resample} is not supported`,
    );
  });

  it("turns do_normalize: false into an identity mean and std, ignoring the given ones", () => {
    const spec = parsePreprocessorConfig({ ...IMAGENET_MINI, do_normalize: false });
    expect(spec.mean).toEqual([0, 0, 0]);
    expect(spec.std).toEqual([1, 1, 1]);
  });

  it("turns do_rescale: false into a multiplier of 1", () => {
    expect(parsePreprocessorConfig({ ...IMAGENET_MINI, do_rescale: false }).rescale).toBe(1);
  });

  it("uses the crop as output size when resizing is off", () => {
    const spec = parsePreprocessorConfig({
      do_resize: false,
      crop_size: { height: 32, width: 48 },
    });
    expect(spec.resize).toBeNull();
    expect(spec.outputSize).toEqual({ height: 32, width: 48 });
  });

  it("ignores keys it does not know, as Hugging Face does", () => {
    const spec = parsePreprocessorConfig({
      ...IMAGENET_MINI,
      image_processor_type: "CLIPImageProcessor",
      processor_class: "CLIPProcessor",
    });
    expect(spec.kernel).toBe("linear");
  });

  describe("rejects", () => {
    it("a crop larger than the shortest edge", () => {
      expect(() =>
        parsePreprocessorConfig({ size: { shortest_edge: 200 }, crop_size: 224 }),
      ).toThrow("crop_size is larger than size.shortest_edge");
      expect(() =>
        parsePreprocessorConfig({
          size: { shortest_edge: 256 },
          crop_size: { height: 224, width: 257 },
        }),
      ).toThrow("crop_size is larger than size.shortest_edge");
    });

    it("but accepts a crop equal to the shortest edge", () => {
      expect(parsePreprocessorConfig({ size: 224, crop_size: 224 }).outputSize).toEqual({
        height: 224,
        width: 224,
      });
    });

    it("a config without a fixed output size", () => {
      expect(() =>
        parsePreprocessorConfig({ size: { shortest_edge: 224 }, do_center_crop: false }),
      ).toThrow("needs crop_size or size.height/width for a fixed input size");
      expect(() => parsePreprocessorConfig({ do_resize: false, do_center_crop: false })).toThrow(
        "needs crop_size or size.height/width",
      );
    });

    it("a model that does not take RGB", () => {
      expect(() => parsePreprocessorConfig({ do_convert_rgb: false })).toThrow(
        "only RGB models are supported",
      );
    });

    it.each([
      ["a negative shortest edge", { size: { shortest_edge: -1 } }, "size"],
      ["a fractional size", { size: 224.5 }, "size"],
      ["a size with only a height", { size: { height: 28 } }, "size"],
      ["a mean with two values", { image_mean: [0.5, 0.5] }, "image_mean"],
      ["a string std", { image_std: "0.5" }, "image_std"],
      ["a zero rescale factor", { rescale_factor: 0 }, "rescale_factor"],
      ["a non-boolean flag", { do_resize: "yes" }, "do_resize"],
      ["a fractional resample", { resample: 2.5 }, "resample"],
    ])("%s, naming the file and the key", (_, json, key) => {
      expect(() => parsePreprocessorConfig(json, "pack/cnn/preprocessor_config.json")).toThrow(
        new RegExp(`^pack/cnn/preprocessor_config\\.json: .*${key}`),
      );
    });

    it("something that is not an object", () => {
      expect(() => parsePreprocessorConfig(null)).toThrow(/^preprocessor_config\.json: /);
      expect(() => parsePreprocessorConfig([])).toThrow(/^preprocessor_config\.json: /);
    });
  });
});

describe("loadPreprocessorConfig", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "preprocessor-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads and parses a file", async () => {
    const file = path.join(dir, "ok.json");
    await writeFile(file, JSON.stringify(IMAGENET_MINI));
    expect(await loadPreprocessorConfig(file)).toEqual(parsePreprocessorConfig(IMAGENET_MINI));
  });

  it("names the file in a validation error", async () => {
    const file = path.join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ resample: 4 }));
    await expect(loadPreprocessorConfig(file)).rejects.toThrow(
      `${file}: resample 4 is not supported`,
    );
  });

  it("rejects a file that is not JSON", async () => {
    const file = path.join(dir, "broken.json");
    await writeFile(file, "{ size: 224");
    await expect(loadPreprocessorConfig(file)).rejects.toThrow(SyntaxError);
  });
});
