import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPack } from "../packs/load-pack.ts";
import {
  EMBEDDED_SAMPLES,
  hasSharedData,
  IMAGENET_SAMPLES,
  warnIfNoSharedData,
} from "../testing/shared-data.ts";
import type { LabelledImage } from "./evaluate.ts";
import { labelledFolder, readLabelsTsv } from "./labelled-folder.ts";

const hasEmbeddedSamples = existsSync(join(EMBEDDED_SAMPLES, "labels.tsv"));
if (!hasEmbeddedSamples) {
  console.warn(
    "skipping the embedded samples check: models/fashion-mnist/samples/labels.tsv not found",
  );
}
warnIfNoSharedData("the ImageNet samples check");

async function collect(batches: AsyncIterable<LabelledImage[]>): Promise<LabelledImage[][]> {
  const out: LabelledImage[][] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

describe("labelledFolder", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const folder = async (files: Record<string, string>) => {
    const dir = await mkdtemp(join(tmpdir(), "labelled-"));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  };

  it.skipIf(!hasEmbeddedSamples)(
    "reads the embedded pack's samples (file, class_index, label)",
    async () => {
      const rows = await readLabelsTsv(join(EMBEDDED_SAMPLES, "labels.tsv"));
      expect(rows.length).toBeGreaterThan(0);
      const { labels } = await loadPack("fashion-mnist");
      expect(rows.every(({ label }) => labels.includes(label))).toBe(true);
      const batches = await collect(labelledFolder(EMBEDDED_SAMPLES, rows, 4));
      expect(batches.flat().map((image) => image.label)).toEqual(rows.map((row) => row.label));
      expect(batches.every((batch) => batch.length <= 4)).toBe(true);
      // Every sample is a PNG, read as the bytes a client would upload.
      expect(batches.flat().every(({ bytes }) => bytes[1] === 0x50 && bytes[2] === 0x4e)).toBe(
        true,
      );
    },
  );

  it.skipIf(!hasSharedData)("reads the ImageNet samples' clip_class_name column", async () => {
    const rows = await readLabelsTsv(join(IMAGENET_SAMPLES, "labels.tsv"));
    expect(rows).toHaveLength(250);
    expect(rows[1]).toEqual({ file: "n01494475_hammerhead.JPEG", label: "hammerhead shark" });
    const batches = await collect(labelledFolder(IMAGENET_SAMPLES, rows.slice(0, 10), 4));
    expect(batches.map((batch) => batch.length)).toEqual([4, 4, 2]);
    // JPEG files start with the SOI marker.
    expect(batches.flat().every(({ bytes }) => bytes[0] === 0xff && bytes[1] === 0xd8)).toBe(true);
  });

  it("prefers a label column, ignores the others and tolerates CRLF and blank lines", async () => {
    const dir = await folder({
      "labels.tsv": "class_index\tfile\tclip_class_name\tlabel\r\n3\ta.png\tx\tDress\r\n\r\n",
      "a.png": "not really a png",
    });
    const rows = await readLabelsTsv(join(dir, "labels.tsv"));
    expect(rows).toEqual([{ file: "a.png", label: "Dress" }]);
    const [batch] = await collect(labelledFolder(dir, rows, 8));
    expect(new TextDecoder().decode(batch?.[0]?.bytes)).toBe("not really a png");
  });

  it("takes the pack's label at class_index when given the pack's labels (names can repeat)", async () => {
    const dir = await folder({
      "labels.tsv": "file\tclass_index\tclip_class_name\na.jpg\t2\tmissile\nb.jpg\t9\tboot\n",
    });
    const rows = await readLabelsTsv(join(dir, "labels.tsv"), [
      "missile",
      "x",
      "projectile, missile",
    ]);
    // Index 9 is past the pack's labels: the name column answers.
    expect(rows).toEqual([
      { file: "a.jpg", label: "projectile, missile" },
      { file: "b.jpg", label: "boot" },
    ]);
  });

  it("names the columns it needs when the header lacks them", async () => {
    const dir = await folder({ "labels.tsv": "path\tclass\na.png\tDress\n" });
    await expect(readLabelsTsv(join(dir, "labels.tsv"))).rejects.toThrow(
      /needs a "file" column and one of "label", "clip_class_name" \(it has path, class\)/,
    );
  });

  it("reports a row with a missing cell by line number", async () => {
    const dir = await folder({ "labels.tsv": "file\tlabel\na.png\tDress\nb.png\n" });
    await expect(readLabelsTsv(join(dir, "labels.tsv"))).rejects.toThrow(/labels\.tsv:3:/);
  });
});
