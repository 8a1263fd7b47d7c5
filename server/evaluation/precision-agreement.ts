import { UserError } from "../errors/user-error.ts";
import { createClipVision } from "../inference/clip-vision.ts";
import type { ClipModels } from "../inference/load-models.ts";
import { openOnnxModel } from "../inference/onnx-session.ts";
import { dot } from "../math/vector-math.ts";
import type { ModelPack } from "../packs/load-pack.ts";
import { decodeImage } from "../pipeline/decode.ts";
import { topK } from "../pipeline/top-k.ts";
import { zeroShotScores } from "../pipeline/zero-shot.ts";
import type { ImageLimits } from "../preprocess/decode-image.ts";
import type { LabelledImage } from "./evaluate.ts";

type Precision = "fp32" | "int8" | "fp16";

/** How closely one of the vision tower's other files follows its default file. */
export interface PrecisionAgreement {
  precision: Precision;
  /** Pack-relative file of this precision. */
  file: string;
  /** Pack-relative default file (`clip.vision.model`) it is compared with. */
  reference: string;
  images: number;
  /** Cosine between the two image embeddings. */
  cosine: { min: number; mean: number };
  /** Share of images where both give the same zero-shot top-1 label over the pack's labels. */
  top1Agreement: number;
}

export type PrecisionReport = { compared: PrecisionAgreement[] } | { skipped: string };

export interface PrecisionAgreementOptions {
  pack: ModelPack;
  /** The loaded CLIP (its label embeddings and logit scale); null when the pack runs without. */
  clip: ClipModels | null;
  images: AsyncIterable<LabelledImage[]>;
  limits: ImageLimits;
  intraOpThreads: number;
}

/**
 * Runs every file of CLIP's vision tower the manifest lists under `precisions` beside the
 * default file, on the same decoded images, to show what a cheaper export costs. Skips (and
 * says why) when the tower has a single file. Images that do not decode are left out.
 */
export async function precisionAgreement({
  pack,
  clip,
  images,
  limits,
  intraOpThreads,
}: PrecisionAgreementOptions): Promise<PrecisionReport> {
  const tower = pack.manifest.clip?.vision;
  if (!tower || !clip) return { skipped: "the pack runs without CLIP" };
  const others = Object.entries(tower.precisions ?? {}) as [Precision, string][];
  if (others.length === 0) {
    return { skipped: `the CLIP vision tower has a single file (${tower.model})` };
  }
  const open = async (file: string) =>
    createClipVision({
      model: await openOnnxModel(
        pack.file(file),
        { inputs: [tower.input], outputs: [tower.output] },
        { intraOpThreads },
      ),
      input: tower.input,
      output: tower.output,
      preprocess: clip.vision.preprocess,
    });
  const reference = await open(tower.model);
  const variants = await Promise.all(others.map(async ([, file]) => open(file)));
  const tallies = others.map(() => ({ images: 0, min: Infinity, sum: 0, agree: 0 }));
  const top1 = (embedding: Float32Array) =>
    (
      topK(
        zeroShotScores(embedding, clip.labelEmbeddings, clip.logitScale),
        clip.labelEmbeddings.labels,
        1,
      )[0] as { label: string }
    ).label;
  try {
    for await (const batch of images) {
      const tensors = await decodeAll(batch, clip.vision.preprocess, limits);
      const base = await reference.embed(tensors);
      for (const [v, variant] of variants.entries()) {
        const tally = tallies[v] as (typeof tallies)[number];
        (await variant.embed(tensors)).forEach((embedding, i) => {
          const ref = base[i] as Float32Array;
          const cosine = dot(ref, embedding);
          tally.images++;
          tally.min = Math.min(tally.min, cosine);
          tally.sum += cosine;
          if (top1(ref) === top1(embedding)) tally.agree++;
        });
      }
    }
  } finally {
    await Promise.all([reference, ...variants].map((m) => m.model.release()));
  }
  return {
    compared: others.map(([precision, file], v) => {
      const t = tallies[v] as (typeof tallies)[number];
      return {
        precision,
        file,
        reference: tower.model,
        images: t.images,
        cosine: { min: t.min, mean: t.sum / t.images },
        top1Agreement: t.agree / t.images,
      };
    }),
  };
}

/** The report as Markdown: a table, or the reason there is none. */
export function precisionTable(report: PrecisionReport): string {
  if ("skipped" in report) return `Skipped: ${report.skipped}.`;
  return [
    "| precision | file | compared with | images | cosine min | cosine mean | CLIP top-1 agreement |",
    "|---|---|---|---|---|---|---|",
    ...report.compared.map(
      (r) =>
        `| ${r.precision} | ${r.file} | ${r.reference} | ${r.images} | ${r.cosine.min.toFixed(6)} | ${r.cosine.mean.toFixed(6)} | ${(r.top1Agreement * 100).toFixed(2)} % |`,
    ),
  ].join("\n");
}

async function decodeAll(
  batch: readonly LabelledImage[],
  spec: ClipModels["vision"]["preprocess"],
  limits: ImageLimits,
): Promise<Float32Array[]> {
  const decoded = await Promise.all(
    batch.map(({ bytes }) =>
      decodeImage(bytes, spec, limits).then(
        (image) => image.tensor,
        (error: unknown) => {
          if (error instanceof UserError) return null;
          throw error;
        },
      ),
    ),
  );
  return decoded.filter((tensor): tensor is Float32Array => tensor !== null);
}
