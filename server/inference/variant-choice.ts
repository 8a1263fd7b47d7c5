/**
 * Which file and thread layout a model runs with on this machine: the fastest variant whose
 * answers match the fp32 reference. Pure logic over measured trials (variant-trials.ts runs
 * them), so the rule is testable without models or a clock.
 */

import type { Precision } from "../packs/manifest.ts";

export type { Precision };

/** One way of running a model: which of the pack's files, on how many threads. */
export interface Variant {
  precision: Precision;
  /** Pack-relative file. */
  file: string;
  threads: number;
  /** Whether int8 MatMuls use onnxruntime's exact u8×u8 kernels (see SessionOptions). */
  exactInt8: boolean;
}

/** What running one variant on the sample images measured. */
export interface VariantTrial {
  variant: Variant;
  /** Best batch latency over the timed calls, divided by the batch size. */
  msPerImage: number;
  /** Share of sample images with the reference's top-1 answer (1 for the reference itself). */
  top1Agreement: number;
  /** Mean cosine between this variant's outputs and the reference's. */
  cosineMean: number;
  /** Set when the variant could not run (e.g. no kernel for its precision on this CPU). */
  error?: string;
}

/** How close to the fp32 reference a variant must be to count as exact. */
export interface ExactnessBar {
  /** Default 0.995. */
  top1Agreement: number;
  /** Default 0.999. */
  cosineMean: number;
}

const DEFAULT_EXACTNESS: ExactnessBar = { top1Agreement: 0.995, cosineMean: 0.999 };

export interface VariantChoice {
  chosen: VariantTrial;
  /** Every trial with why it lost ("slower", "top-1 agreement 0.98 < 0.995", ...). */
  considered: { trial: VariantTrial; verdict: "chosen" | string }[];
}

/** Why a trial does not qualify as exact, or null when it does. */
function inexactReason(trial: VariantTrial, bar: ExactnessBar = DEFAULT_EXACTNESS) {
  if (trial.error) return `failed: ${trial.error}`;
  return shortOfBar(trial, bar);
}

/** Why outputs compared with a reference fall short of a bar, or null when they meet it. */
export function shortOfBar(
  measured: Pick<VariantTrial, "top1Agreement" | "cosineMean">,
  bar: ExactnessBar,
): string | null {
  if (!(measured.top1Agreement >= bar.top1Agreement))
    return `top-1 agreement ${measured.top1Agreement.toFixed(4)} < ${bar.top1Agreement}`;
  if (!(measured.cosineMean >= bar.cosineMean))
    return `cosine ${measured.cosineMean.toFixed(5)} < ${bar.cosineMean}`;
  return null;
}

/**
 * The fastest exact trial. Ties (within 1 %) go to fewer threads, then to the earlier trial
 * (the caller lists the reference first), so noise does not flip the choice between runs.
 * Throws when nothing qualifies: the reference always should, so that is a broken trial.
 */
export function chooseVariant(
  trials: readonly VariantTrial[],
  bar: ExactnessBar = DEFAULT_EXACTNESS,
): VariantChoice {
  const exact = trials.filter((trial) => inexactReason(trial, bar) === null);
  const chosen = exact.reduce<VariantTrial | null>((best, trial) => {
    if (!best) return trial;
    if (trial.msPerImage < best.msPerImage * 0.99) return trial;
    const tie = trial.msPerImage <= best.msPerImage * 1.01;
    return tie && trial.variant.threads < best.variant.threads ? trial : best;
  }, null);
  if (!chosen) throw new Error("no variant matches the reference, not even the reference");
  return {
    chosen,
    considered: trials.map((trial) => ({
      trial,
      verdict:
        trial === chosen
          ? "chosen"
          : (inexactReason(trial, bar) ??
            `slower: ${trial.msPerImage.toFixed(2)} vs ${chosen.msPerImage.toFixed(2)} ms/image`),
    })),
  };
}

/**
 * The variants worth timing: every file of the model on each thread count (the trials
 * compare them with the fp32 file, or the default file when there is none). int8 runs with the exact u8×u8 kernels only where the CPU
 * needs them (no VNNI); with VNNI its own kernels are exact, and the agreement check confirms.
 * The flag does nothing to float models, so they run without it.
 */
export function candidateVariants(options: {
  /** The default file. */
  model: string;
  /** The default file's precision (from the pack, or its graph). */
  modelPrecision: Precision;
  precisions: Partial<Record<Precision, string>>;
  threadCounts: readonly number[];
  cpuHasVnni: boolean;
}): Variant[] {
  const files = new Map<string, Precision>([[options.model, options.modelPrecision]]);
  for (const [precision, file] of Object.entries(options.precisions) as [Precision, string][]) {
    if (!files.has(file)) files.set(file, precision);
  }
  const threads = [...new Set(options.threadCounts)].sort((a, b) => a - b);
  return [...files].flatMap(([file, precision]) =>
    threads.map((count) => ({
      precision,
      file,
      threads: count,
      exactInt8: precision === "int8" && !options.cpuHasVnni,
    })),
  );
}
