import type { ExactnessBar } from "../inference/variant-choice.ts";
import { shortOfBar } from "../inference/variant-choice.ts";

/** Top-1 agreement and mean cosine of embeddings against a reference's. */
export interface Agreement {
  top1Agreement: number;
  cosineMean: number;
}

/** What running CLIP's vision tower in int8 and in fp32 on the same images measured. */
export interface DriftMeasurement {
  /** Pack-relative files compared. fp32 is null when the pack has no fp32 vision file. */
  int8File: string;
  fp32File: string | null;
  images: number;
  /** "pack samples", "synthetic images", or the photos used for a pack without samples. */
  imageSource: string;
  /** What top-1 means: the nearest of the pack's label embeddings, or the largest component. */
  top1Over: string;
  /** int8 against fp32, image by image, in the same batches. Null without an fp32 file. */
  int8VsFp32: Agreement | null;
  /** Each image embedded alone against the same image in a batch of 8, per precision. */
  aloneVsBatchOf8: { int8: Agreement; fp32: Agreement | null };
  /** The CPU and flags it was measured on: int8 kernels differ between CPUs. */
  cpu: string;
}

/** The measurement and what the pack does about it. */
export interface DriftCheck extends DriftMeasurement {
  /** The precision the pack runs CLIP in unless its pack.json is edited. */
  defaultPrecision: "int8" | "fp32";
  /** Why int8 falls short of the bar; empty when it meets it. */
  shortfalls: string[];
}

/** int8 must stay this close to fp32 (and to itself across batch sizes) to be the default. */
export const DRIFT_BAR: ExactnessBar = { cosineMean: 0.99, top1Agreement: 0.99 };

/**
 * int8 stays the default when it matches fp32 within the bar and embeds an image the same alone
 * as in a batch of 8 (the batcher mixes requests, so an answer must not depend on its
 * neighbours). Otherwise the pack runs fp32, when it has it.
 */
export function decideDefault(measured: DriftMeasurement, bar = DRIFT_BAR): DriftCheck {
  const shortfalls: string[] = [];
  const versus = measured.int8VsFp32 && shortOfBar(measured.int8VsFp32, bar);
  if (versus) shortfalls.push(`int8 vs fp32: ${versus}`);
  const batch = shortOfBar(measured.aloneVsBatchOf8.int8, bar);
  if (batch) shortfalls.push(`int8 alone vs in a batch of 8: ${batch}`);
  const fallback = shortfalls.length > 0 && measured.fp32File !== null;
  return { ...measured, defaultPrecision: fallback ? "fp32" : "int8", shortfalls };
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
const pair = (a: Agreement) =>
  `cosine ${a.cosineMean.toFixed(5)}, top-1 ${percent(a.top1Agreement)}`;

/** The check as the command prints it, one line each. */
export function describeDrift(check: DriftCheck): string[] {
  const { aloneVsBatchOf8: batch } = check;
  const lines = [
    `int8 drift check on ${check.images} ${check.imageSource} (top-1 over ${check.top1Over}; ${check.cpu}):`,
    check.int8VsFp32
      ? `  int8 vs fp32: ${pair(check.int8VsFp32)}`
      : "  int8 vs fp32: not measured (the pack has no fp32 vision file)",
    `  alone vs in a batch of 8: int8 ${pair(batch.int8)}${batch.fp32 ? `; fp32 ${pair(batch.fp32)}` : ""}`,
  ];
  const bar = `cosine ≥ ${DRIFT_BAR.cosineMean}, top-1 ≥ ${percent(DRIFT_BAR.top1Agreement)}`;
  if (check.shortfalls.length === 0) lines.push(`  int8 meets the bar (${bar}): CLIP runs int8`);
  else if (check.defaultPrecision === "fp32")
    lines.push(
      `  int8 misses the bar (${bar}): ${check.shortfalls.join("; ")}. The pack defaults to fp32 (its int8 files stay in the folder; see docs/models.md to run them anyway)`,
    );
  else
    lines.push(
      `  int8 misses the bar (${bar}): ${check.shortfalls.join("; ")}, but the pack has no fp32 vision file to fall back on`,
    );
  return lines;
}
