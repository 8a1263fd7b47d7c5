import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Calibration } from "../calibration/index.ts";

/** The README heading whose section a calibration run rewrites. */
export const CALIBRATION_HEADING = "## Calibration";

/**
 * pack.json's text with its `calibration` section set: every other field as it was, in its
 * order, calibration last (in the schema's key order), pretty-printed with a final newline, so
 * re-running a calibration changes only the lines that changed.
 */
export function packJsonWithCalibration(packJson: string, calibration: Calibration): string {
  const manifest = JSON.parse(packJson) as Record<string, unknown>;
  const { calibration: _, ...rest } = manifest;
  return `${JSON.stringify({ ...rest, calibration }, null, 2)}\n`;
}

/**
 * The Markdown with the section under `heading` (up to the next heading of the same level)
 * replaced by `heading` + `body`; null when the document has no such heading.
 */
export function replaceSection(markdown: string, heading: string, body: string): string | null {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) return null;
  // The section ends at the next heading of the same level or above.
  const level = heading.match(/^#+/)?.[0].length ?? 2;
  const boundary = new RegExp(`^#{1,${level}} `);
  const nextAt = lines.findIndex((line, i) => i > start && boundary.test(line));
  const after = nextAt < 0 ? [] : ["", ...lines.slice(nextAt)];
  const section = [heading, "", body.trimEnd()];
  return [...lines.slice(0, start), ...section, ...after].join("\n").replace(/\n*$/, "\n");
}

/** What `writePackCalibration` wrote, relative to the pack folder. */
export interface WrittenFiles {
  files: string[];
  /** False when the README has no `## Calibration` heading (it is then left alone). */
  readmeUpdated: boolean;
}

/**
 * Writes a calibration into a pack folder: the `calibration` section of pack.json, the chart as
 * calibration.svg and, if the README has a `## Calibration` heading, that section.
 */
export async function writePackCalibration(
  packDir: string,
  calibration: Calibration,
  { svg, readmeSection }: { svg: string; readmeSection: string },
): Promise<WrittenFiles> {
  const manifestPath = join(packDir, "pack.json");
  await writeFile(
    manifestPath,
    packJsonWithCalibration(await readFile(manifestPath, "utf8"), calibration),
  );
  await writeFile(join(packDir, "calibration.svg"), svg);
  const files = ["pack.json", "calibration.svg"];
  const readmePath = join(packDir, "README.md");
  const readme = await readFile(readmePath, "utf8").catch(() => null);
  const updated =
    readme === null ? null : replaceSection(readme, CALIBRATION_HEADING, readmeSection);
  if (updated !== null) {
    await writeFile(readmePath, updated);
    files.push("README.md");
  }
  return { files, readmeUpdated: updated !== null };
}
