import { dot, l2Normalise } from "../math/vector-math.ts";
import { openOnnxModel, stackImages } from "./onnx-session.ts";
import type { Variant, VariantTrial } from "./variant-choice.ts";

export interface TrialOptions {
  /** Absolute path of a pack-relative file. */
  resolve(file: string): string;
  input: string;
  output: string;
  /**
   * The variants to run; the first fp32 one is the reference the others are compared with, or
   * the first variant (the default file) when the model has no fp32 file.
   */
  variants: readonly Variant[];
  /** Preprocessed CHW images of `height` × `width`: the pack's samples or synthetic ones. */
  samples: readonly Float32Array[];
  height: number;
  width: number;
  /** The answer an output row stands for (argmax of logits, zero-shot label of an embedding). */
  top1(row: Float32Array): number;
  /** Images per timed call. Default 8, the batcher's default batch. */
  batch?: number;
  /** Timed calls per variant, after one untimed call; the fastest counts. Default 3. */
  timedCalls?: number;
  /** Session setting shared by every variant (see SessionOptions). Default false. */
  allowSpinning?: boolean;
}

/**
 * Runs each variant on the samples (its answers) and times a few calls of `batch` images
 * (its speed). One variant at a time, so each has the cores to itself.
 */
export async function runVariantTrials(options: TrialOptions): Promise<VariantTrial[]> {
  const { variants, samples, height, width, batch = 8, timedCalls = 3 } = options;
  const reference = variants.find((v) => v.precision === "fp32") ?? variants[0];
  if (!reference) throw new Error("no variant to run");
  if (samples.length === 0) throw new Error("no sample images");
  const timedBatch = Array.from(
    { length: batch },
    (_, i) => samples[i % samples.length] as Float32Array,
  );
  const ordered = [reference, ...variants.filter((v) => v !== reference)];
  let referenceRows: Float32Array[] = [];
  const trials = new Map<Variant, VariantTrial>();
  for (const variant of ordered) {
    try {
      const model = await openOnnxModel(
        options.resolve(variant.file),
        { inputs: [options.input], outputs: [options.output] },
        {
          intraOpThreads: variant.threads,
          exactInt8: variant.exactInt8,
          allowSpinning: options.allowSpinning ?? false,
        },
      );
      const call = async (images: readonly Float32Array[]) => {
        const result = await model.run({ [options.input]: stackImages(images, height, width) }, [
          options.output,
        ]);
        return splitOutput(result[options.output]);
      };
      try {
        const rows: Float32Array[] = [];
        for (let start = 0; start < samples.length; start += batch)
          rows.push(...(await call(samples.slice(start, start + batch))));
        let best = Infinity;
        await call(timedBatch);
        for (let i = 0; i < timedCalls; i++) {
          const started = performance.now();
          await call(timedBatch);
          best = Math.min(best, performance.now() - started);
        }
        if (variant === reference) referenceRows = rows;
        trials.set(variant, {
          variant,
          msPerImage: best / batch,
          ...agreement(referenceRows, rows, options.top1),
        });
      } finally {
        await model.release();
      }
    } catch (error) {
      if (variant === reference) throw error;
      trials.set(variant, {
        variant,
        msPerImage: Infinity,
        top1Agreement: 0,
        cosineMean: 0,
        error: (error as Error).message,
      });
    }
  }
  return variants.map((variant) => trials.get(variant) as VariantTrial);
}

function splitOutput(tensor: { data: Float32Array; dims: readonly number[] } | undefined) {
  if (!tensor) throw new Error("the model returned no output");
  const [rows = 0] = tensor.dims;
  const width = tensor.data.length / Math.max(1, rows);
  return Array.from({ length: rows }, (_, i) => tensor.data.slice(i * width, (i + 1) * width));
}

/** Top-1 agreement and mean cosine of `rows` against the reference's rows. */
export function agreement(
  reference: readonly Float32Array[],
  rows: readonly Float32Array[],
  top1: (row: Float32Array) => number,
): { top1Agreement: number; cosineMean: number } {
  let agree = 0;
  let cosines = 0;
  rows.forEach((row, i) => {
    const ref = reference[i] as Float32Array;
    if (top1(ref) === top1(row)) agree++;
    cosines += dot(l2Normalise(ref), l2Normalise(row));
  });
  return { top1Agreement: agree / rows.length, cosineMean: cosines / rows.length };
}
