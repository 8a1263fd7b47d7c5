import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { LabelledImage } from "./evaluate.ts";

/** One row of a labels file: an image file name (relative to its folder) and its true label. */
export interface LabelledFile {
  file: string;
  label: string;
}

// `label` is this project's own column; `clip_class_name` is what the ImageNet sample folder
// calls the same thing (the name CLIP's zero-shot evaluation used, equal to the pack's label).
const LABEL_COLUMNS = ["label", "clip_class_name"];

/**
 * Reads a tab-separated labels file with a header row: the `file` column and the first of
 * `label` / `clip_class_name` that exists. Given the pack's labels, a `class_index` column wins
 * over the names: class names can repeat (CLIP's ImageNet list names two classes "missile" and
 * two "sunglasses"), while an index never does. Other columns are ignored.
 */
export async function readLabelsTsv(
  path: string,
  packLabels?: readonly string[],
): Promise<LabelledFile[]> {
  const lines = (await readFile(path, "utf8")).split(/\r?\n/).filter((line) => line.trim() !== "");
  const columns = (lines[0] ?? "").split("\t").map((name) => name.trim());
  const fileAt = columns.indexOf("file");
  const labelColumn = LABEL_COLUMNS.find((name) => columns.includes(name));
  const labelAt = labelColumn === undefined ? -1 : columns.indexOf(labelColumn);
  if (fileAt < 0 || labelAt < 0) {
    throw new Error(
      `${path}: the header needs a "file" column and one of ${LABEL_COLUMNS.map((c) => `"${c}"`).join(", ")} (it has ${columns.join(", ")})`,
    );
  }
  const indexAt = packLabels ? columns.indexOf("class_index") : -1;
  return lines.slice(1).map((line, i) => {
    const cells = line.split("\t");
    const file = cells[fileAt]?.trim();
    const byIndex = indexAt >= 0 ? packLabels?.[Number(cells[indexAt]?.trim())] : undefined;
    const label = byIndex ?? cells[labelAt]?.trim();
    if (!file || !label) throw new Error(`${path}:${i + 2}: missing file or label`);
    return { file, label };
  });
}

/**
 * The listed images of a folder in batches, as the raw file bytes a client would upload, so
 * an evaluation pays for (and checks) decoding too. Yields like `fashionMnistTestSet`.
 */
export async function* labelledFolder(
  dir: string,
  files: readonly LabelledFile[],
  batchSize: number,
): AsyncGenerator<LabelledImage[]> {
  for (let start = 0; start < files.length; start += batchSize) {
    yield await Promise.all(
      files.slice(start, start + batchSize).map(async ({ file, label }) => ({
        bytes: await readFile(join(dir, file)),
        label,
      })),
    );
  }
}
