import { createHash } from "node:crypto";

/** One image of a labelled set, as its identity counts it. */
export interface IdentifiedImage {
  /** File name within the set (or a stable name such as `train-00042` for a packaged set). */
  file: string;
  /** sha256 of the image file's bytes. */
  sha256: string;
  /** The true class index. */
  label: number;
}

/**
 * The sha256 that identifies a labelled set's exact contents: over the (file name, file sha256,
 * label) rows sorted by file name, one tab-separated line each. Renaming, re-encoding or
 * relabelling any image changes it; the order the images were read in does not.
 */
export function dataSetSha256(images: readonly IdentifiedImage[]): string {
  const lines = [...images]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map(({ file, sha256, label }) => `${file}\t${sha256}\t${label}\n`);
  return createHash("sha256").update(lines.join("")).digest("hex");
}
