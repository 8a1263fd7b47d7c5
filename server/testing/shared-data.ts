import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file (tests never assume the working directory). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The reference packs and photos that sit beside a development checkout. A user's fresh
 * clone has no such folder: tests that need it skip, and say so.
 */
export const SHARED_DIR = resolve(REPO_ROOT, "..", "shared");
export const IMAGENET_MINI_PACK = resolve(SHARED_DIR, "models/imagenet-mini");
export const IMAGENET_SAMPLES = resolve(SHARED_DIR, "data/imagenet-samples");
export const EMBEDDED_SAMPLES = resolve(REPO_ROOT, "models/fashion-mnist/samples");

export const hasSharedData = existsSync(resolve(IMAGENET_MINI_PACK, "pack.json"));

/** Call at module level of a suite that needs ../shared: prints why it is skipped. */
export function warnIfNoSharedData(suite: string): void {
  if (!hasSharedData)
    console.warn(`skipping ${suite}: ../shared (reference packs and photos) not found`);
}

/** Rows of a labels.tsv (header line first), as objects keyed by the header's column names. */
export function parseTsv(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trim().split("\n");
  const columns = (header ?? "").split("\t");
  return rows.map((row) =>
    Object.fromEntries(row.split("\t").map((value, i) => [columns[i], value])),
  );
}

/** The embedded pack's sample images (real Fashion-MNIST test images) with their labels. */
export function loadEmbeddedSamples(): { file: string; label: string; bytes: Buffer }[] {
  return parseTsv(readFileSync(join(EMBEDDED_SAMPLES, "labels.tsv"), "utf8")).map((row) => ({
    file: row.file as string,
    label: row.label as string,
    bytes: readFileSync(join(EMBEDDED_SAMPLES, row.file as string)),
  }));
}
