import { z } from "zod";

/** One ONNX model inside a pack: the file and the tensor names the server feeds and fetches. */
const tensorModel = z.object({
  model: z.string().min(1),
  input: z.string().min(1),
  output: z.string().min(1),
  /** Other files of the same model by precision (e.g. an int8 export); `model` is the default. */
  precisions: z.partialRecord(z.enum(["fp32", "int8", "fp16"]), z.string().min(1)).optional(),
});

/**
 * The `pack.json` manifest. Every path is relative to the pack folder.
 * Field names follow the reference pack (imagenet-mini), whose README documents each one.
 */
export const packManifestSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(""),
  labels: z.string().min(1),
  cnn: tensorModel.extend({
    output_kind: z.enum(["logits", "probabilities"]).default("logits"),
    preprocess: z.string().min(1),
  }),
  clip: z
    .object({
      vision: tensorModel,
      text: tensorModel.extend({
        context_length: z.number().int().min(2),
        needs_attention_mask: z.boolean().default(false),
      }),
      tokenizer: z.object({ vocab: z.string().min(1), merges: z.string().min(1) }),
      preprocess: z.string().min(1),
      templates: z.string().min(1).optional(),
      logit_scale: z.number().positive(),
      text_embeddings: z
        .object({
          file: z.string().min(1),
          shape: z.tuple([z.number().int().positive(), z.number().int().positive()]),
          dtype: z.literal("float32"),
          layout: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  /**
   * Fitted routing and ensembling (see server/calibration/README.md). Absent: the legacy fixed
   * thresholds. Checked here only for being present; `loadPack` validates it with
   * `parseCalibration`, whose messages name the field.
   */
  calibration: z.unknown().optional(),
  /**
   * What the download's int8 drift check chose for a downloaded pack, and why (docs/models.md).
   * With "fp32", the int8 files stay in the folder but are left out of `precisions`.
   */
  precision_check: z
    .looseObject({ default_precision: z.enum(["int8", "fp32"]), reason: z.string() })
    .optional(),
});

export type PackManifest = z.infer<typeof packManifestSchema>;

/** Every file a manifest names (relative to the pack folder), each once, pack.json excluded. */
export function manifestFiles(manifest: PackManifest): string[] {
  const towers = [manifest.cnn, manifest.clip?.vision, manifest.clip?.text];
  const clip = manifest.clip;
  const files = [
    manifest.labels,
    manifest.cnn.preprocess,
    ...towers.flatMap((tower) =>
      tower ? [tower.model, ...Object.values(tower.precisions ?? {})] : [],
    ),
    ...(clip ? [clip.tokenizer.vocab, clip.tokenizer.merges, clip.preprocess, clip.templates] : []),
    clip?.text_embeddings?.file,
  ];
  return [...new Set(files.filter((file): file is string => typeof file === "string"))];
}
