import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { sha256Hex } from "../hashing/sha256.ts";

/** One usable row of a labels file: the image's file name and its class index in the pack. */
export interface LabelledRow {
  file: string;
  label: number;
}

/** The rows that can be used, and one line for each that cannot. */
export interface LabelRows {
  rows: LabelledRow[];
  problems: string[];
}

// Image files a labelled folder may hold; anything else (labels.tsv, READMEs) is not an image.
const IMAGE_FILE = /\.(jpe?g|png|webp|gif|avif|tiff?|bmp)$/i;

/**
 * Reads a labels.tsv tolerantly: a header with `file` and `class_index`, `label` or
 * `clip_class_name` (class_index wins: it is unambiguous where a pack lists a name twice).
 * A row without a usable label, and an image in the folder that no row names, each become one
 * problem line; a header without the columns is the one fatal error.
 */
export async function readLabelRows(
  labelsFile: string,
  imagesDir: string,
  packLabels: readonly string[],
): Promise<LabelRows> {
  const lines = (await readFile(labelsFile, "utf8"))
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  const columns = (lines[0] ?? "").split("\t").map((name) => name.trim());
  const fileAt = columns.indexOf("file");
  const indexAt = columns.indexOf("class_index");
  const nameAt = ["label", "clip_class_name"].map((c) => columns.indexOf(c)).find((i) => i >= 0);
  if (fileAt < 0 || (indexAt < 0 && nameAt === undefined)) {
    throw new Error(
      `${basename(labelsFile)}: the header needs a "file" column and one of "class_index", "label", "clip_class_name" (it has ${columns.join(", ")})`,
    );
  }
  const rows: LabelledRow[] = [];
  const problems: string[] = [];
  const listed = new Set<string>();
  lines.slice(1).forEach((line, i) => {
    const cells = line.split("\t").map((cell) => cell.trim());
    const file = cells[fileAt] ?? "";
    if (file) listed.add(file);
    const label = classIndex(cells[indexAt] ?? "", cells[nameAt ?? -1] ?? "", packLabels);
    if (!file) problems.push(`${basename(labelsFile)}:${i + 2}: no file name; skipped`);
    else if (typeof label === "string") problems.push(`${file}: ${label}; skipped`);
    else rows.push({ file, label });
  });
  const unlisted = (await readdir(imagesDir)).filter((f) => IMAGE_FILE.test(f) && !listed.has(f));
  for (const file of unlisted.sort())
    problems.push(`${file}: not in ${basename(labelsFile)}; skipped`);
  return { rows, problems };
}

/** The class index a row names, or why it names none. */
function classIndex(index: string, name: string, packLabels: readonly string[]): number | string {
  if (index !== "") {
    const value = Number(index);
    if (Number.isInteger(value) && value >= 0 && value < packLabels.length) return value;
    return `class_index "${index}" is not a class of the pack (0–${packLabels.length - 1})`;
  }
  if (name === "") return "no label";
  const at = packLabels.indexOf(name);
  return at >= 0 ? at : `label "${name}" is not one of the pack's labels`;
}

/** An image read from disk, with the sha256 of its bytes (for the data set's identity). */
export interface ReadImage extends LabelledRow {
  bytes: Uint8Array;
  sha256: string;
}

/**
 * The rows' images in batches; a file that cannot be read is reported through `onProblem` and
 * left out, so one missing file does not stop a calibration.
 */
export async function* readImages(
  imagesDir: string,
  rows: readonly LabelledRow[],
  batchSize: number,
  onProblem: (line: string) => void,
): AsyncGenerator<ReadImage[]> {
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = await Promise.all(
      rows.slice(start, start + batchSize).map(async (row): Promise<ReadImage | null> => {
        try {
          const bytes = await readFile(join(imagesDir, row.file));
          return { ...row, bytes, sha256: sha256Hex(bytes) };
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          onProblem(`${row.file}: ${code === "ENOENT" ? "missing" : "unreadable"}; skipped`);
          return null;
        }
      }),
    );
    yield batch.filter((image): image is ReadImage => image !== null);
  }
}
