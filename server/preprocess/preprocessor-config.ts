import { readFile } from "node:fs/promises";
import type { KernelEnum } from "sharp";
import { z } from "zod";

// Defaults are Hugging Face CLIPImageProcessor's, so a real CLIP export's config reads the same here.
const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

const sideLengths = z.union([
  z
    .number()
    .int()
    .positive()
    .transform((edge) => ({ shortest_edge: edge })),
  z.object({ shortest_edge: z.number().int().positive() }),
  z.object({ height: z.number().int().positive(), width: z.number().int().positive() }),
]);

const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

const hfPreprocessorConfig = z.object({
  do_convert_rgb: z.boolean().default(true),
  do_resize: z.boolean().default(true),
  size: sideLengths.default({ shortest_edge: 224 }),
  resample: z.number().int().default(3),
  do_center_crop: z.boolean().default(true),
  crop_size: sideLengths.default({ height: 224, width: 224 }),
  do_rescale: z.boolean().default(true),
  rescale_factor: z
    .number()
    .positive()
    .default(1 / 255),
  do_normalize: z.boolean().default(true),
  image_mean: rgbTriple.default(OPENAI_CLIP_MEAN as [number, number, number]),
  image_std: rgbTriple.default(OPENAI_CLIP_STD as [number, number, number]),
});

// PIL resample codes, as Hugging Face stores them, mapped to sharp kernels.
const kernelByPilResample: Record<number, keyof KernelEnum> = {
  0: "nearest",
  1: "lanczos3",
  2: "linear",
  3: "cubic",
};

export type ResizeRule = { shortestEdge: number } | { height: number; width: number };

/** What the preprocessing step does to one image, resolved from a preprocessor_config.json. */
export interface PreprocessSpec {
  resize: ResizeRule | null;
  kernel: keyof KernelEnum;
  crop: { height: number; width: number } | null;
  /** Multiplier applied to 0–255 pixel values (1 when the config turns rescaling off). */
  rescale: number;
  /** Per-channel mean and std; identity when the config turns normalising off. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Output tensor height and width: the crop when there is one, else the resize target. */
  outputSize: { height: number; width: number };
}

/** Parses Hugging Face image-processor keys into a spec; unknown keys are ignored, as HF does. */
export function parsePreprocessorConfig(json: unknown, source = "preprocessor_config.json") {
  const parsed = hfPreprocessorConfig.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${source}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const c = parsed.data;
  const kernel = kernelByPilResample[c.resample];
  if (kernel === undefined) throw new Error(`${source}: resample ${c.resample} is not supported`);
  if (!c.do_convert_rgb)
    throw new Error(`${source}: only RGB models are supported (do_convert_rgb)`);

  const resize: ResizeRule | null = !c.do_resize
    ? null
    : "shortest_edge" in c.size
      ? { shortestEdge: c.size.shortest_edge }
      : { height: c.size.height, width: c.size.width };
  const crop = c.do_center_crop
    ? "shortest_edge" in c.crop_size
      ? { height: c.crop_size.shortest_edge, width: c.crop_size.shortest_edge }
      : { height: c.crop_size.height, width: c.crop_size.width }
    : null;
  if (
    crop &&
    resize &&
    "shortestEdge" in resize &&
    resize.shortestEdge < Math.max(crop.height, crop.width)
  ) {
    throw new Error(`${source}: crop_size is larger than size.shortest_edge`);
  }
  const outputSize = crop ?? (resize && "height" in resize ? resize : null);
  // Batches stack images into one tensor, so every image must come out the same size.
  if (!outputSize)
    throw new Error(`${source}: needs crop_size or size.height/width for a fixed input size`);

  const spec: PreprocessSpec = {
    resize,
    kernel,
    crop,
    rescale: c.do_rescale ? c.rescale_factor : 1,
    mean: c.do_normalize ? c.image_mean : [0, 0, 0],
    std: c.do_normalize ? c.image_std : [1, 1, 1],
    outputSize,
  };
  return spec;
}

export async function loadPreprocessorConfig(path: string): Promise<PreprocessSpec> {
  return parsePreprocessorConfig(JSON.parse(await readFile(path, "utf8")), path);
}
