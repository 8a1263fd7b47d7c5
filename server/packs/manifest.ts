import { z } from "zod";

const precision = z.enum(["fp32", "int8", "fp16"]);
export type Precision = z.infer<typeof precision>;

/** One ONNX model inside a pack: the file and the tensor names the server feeds and fetches. */
const tensorModel = z.object({
  model: z.string().min(1),
  input: z.string().min(1),
  output: z.string().min(1),
  /**
   * Precision of `model`. Absent: read from the graph (quantized operators mean int8, else
   * fp32), so an int8 default file is never reported as fp32.
   */
  precision: precision.optional(),
  /** Other files of the same model by precision (e.g. an int8 export); `model` is the default. */
  precisions: z.partialRecord(precision, z.string().min(1)).optional(),
});

/**
 * A release of a pack: semantic versioning (`1.2.0`, `2.0.0-rc.1`), so dashboards and alerts
 * can tell two builds of the same pack apart (`model_info{version}`).
 */
export const packVersion = z
  .string({ error: 'must be a string such as "1.0.0"' })
  .regex(
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/,
    'must be a semantic version such as "1.0.0"',
  );

/**
 * The `pack.json` manifest. Every path is relative to the pack folder.
 * Field names follow the reference pack (imagenet-mini), whose README documents each one.
 */
export const packManifestSchema = z.object({
  name: z.string().min(1),
  /** Absent in older packs: reported as "unversioned". */
  version: packVersion.optional(),
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
