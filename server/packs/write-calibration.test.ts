import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Calibration, parseCalibration } from "../calibration/index.ts";
import {
  CALIBRATION_HEADING,
  packJsonWithCalibration,
  replaceSection,
  writePackCalibration,
} from "./write-calibration.ts";

const CALIBRATION: Calibration = parseCalibration({
  version: 1,
  temperatures: { cnn: 1.2, clip: 0.9 },
  ensemble: { rule: "log-linear", cnnWeight: 0.6 },
  routing: { threshold: 0.71, share: 0.28, choice: "best-within-max-share" },
  fitted: { cnn: 0.824, clip: 0.79, auto: 0.87, force: 0.88 },
  curve: [{ share: 0, accuracy: 0.824 }],
  data: { name: "samples", count: 250, sha256: "b".repeat(64) },
  fittedAt: "2025-06-01T12:00:00.000Z",
});

const PACK_JSON = `{
  "name": "p",
  "labels": "labels.json",
  "cnn": { "model": "cnn.onnx", "input": "x", "output": "y", "preprocess": "pre.json" },
  "clip": { "logit_scale": 100, "text_embeddings": { "shape": [10, 64] } }
}`;

describe("packJsonWithCalibration", () => {
  it("adds the section last and leaves every other field as it was, in order", () => {
    const text = packJsonWithCalibration(PACK_JSON, CALIBRATION);
    const written = JSON.parse(text);
    expect(Object.keys(written)).toEqual(["name", "labels", "cnn", "clip", "calibration"]);
    const { calibration, ...rest } = written;
    expect(rest).toEqual(JSON.parse(PACK_JSON));
    expect(calibration).toEqual(CALIBRATION);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toContain('\n  "calibration": {\n    "version": 1,');
  });

  it("replaces an earlier calibration in place, so a re-run changes only what changed", () => {
    const once = packJsonWithCalibration(PACK_JSON, CALIBRATION);
    const twice = packJsonWithCalibration(once, CALIBRATION);
    expect(twice).toBe(once);
    const moved = packJsonWithCalibration(
      JSON.stringify({ calibration: { old: true }, ...JSON.parse(PACK_JSON) }),
      CALIBRATION,
    );
    expect(moved).toBe(once);
  });
});

describe("replaceSection", () => {
  const readme =
    "# Pack\n\nintro\n\n## Calibration\n\nold table\n\n### detail\n\nold\n\n## Licence\n\nMIT\n";

  it("replaces the section up to the next heading of its level, subsections included", () => {
    expect(replaceSection(readme, CALIBRATION_HEADING, "new table\n")).toBe(
      "# Pack\n\nintro\n\n## Calibration\n\nnew table\n\n## Licence\n\nMIT\n",
    );
  });

  it("replaces a last section to the end, and says when there is no heading", () => {
    expect(replaceSection("# P\n\n## Calibration\n\nold\n", CALIBRATION_HEADING, "new")).toBe(
      "# P\n\n## Calibration\n\nnew\n",
    );
    expect(replaceSection("# P\n\n## Other\n", CALIBRATION_HEADING, "new")).toBeNull();
  });
});

describe("writePackCalibration", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const pack = async (readme: string | null) => {
    const dir = await mkdtemp(join(tmpdir(), "pack-write-"));
    dirs.push(dir);
    await writeFile(join(dir, "pack.json"), PACK_JSON);
    if (readme !== null) await writeFile(join(dir, "README.md"), readme);
    return dir;
  };

  it("writes pack.json, the chart and the README section", async () => {
    const dir = await pack("# P\n\n## Calibration\n\nTBD\n\n## Files\n");
    const written = await writePackCalibration(dir, CALIBRATION, {
      svg: "<svg/>\n",
      readmeSection: "| table |",
    });
    expect(written).toEqual({
      files: ["pack.json", "calibration.svg", "README.md"],
      readmeUpdated: true,
    });
    expect(JSON.parse(await readFile(join(dir, "pack.json"), "utf8")).calibration).toEqual(
      CALIBRATION,
    );
    expect(await readFile(join(dir, "calibration.svg"), "utf8")).toBe("<svg/>\n");
    expect(await readFile(join(dir, "README.md"), "utf8")).toBe(
      "# P\n\n## Calibration\n\n| table |\n\n## Files\n",
    );
  });

  it("leaves a README without the heading, and a pack without a README, alone", async () => {
    for (const readme of ["# P\n\nno section\n", null]) {
      const dir = await pack(readme);
      const written = await writePackCalibration(dir, CALIBRATION, { svg: "", readmeSection: "" });
      expect(written).toEqual({ files: ["pack.json", "calibration.svg"], readmeUpdated: false });
      if (readme !== null) expect(await readFile(join(dir, "README.md"), "utf8")).toBe(readme);
    }
  });
});
