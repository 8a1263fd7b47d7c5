import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors/user-error.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import type { ImageInput } from "../pipeline/types.ts";
import { parseCalibrateArgs } from "./calibrate-args.ts";
import { calibrateFolder } from "./calibrate-folder.ts";
import { dataSetSha256 } from "./data-set-identity.ts";

const LABELS = ["cat", "dog", "fox"];

/**
 * A stand-in for the pipeline's scoring step: an image's bytes name its class ("cat-7" is a
 * cat), the CNN is right with confidence, CLIP agrees; "broken" bytes fail to decode as a real
 * image would; "slow" bytes get no second opinion.
 */
const fakeClassifier = {
  async scoreImages(inputs: readonly ImageInput[]) {
    return inputs.map(({ bytes }) => {
      const text = Buffer.from(bytes).toString();
      if (text === "broken") return new UserError("INVALID_IMAGE", "the file is not an image");
      const scores = Float32Array.from(LABELS, (l) => (text.startsWith(l) ? 0 : -3));
      if (text === "slow") return { cnn: scores, clip: null, fallback: "TIMEOUT" as const };
      return { cnn: scores, clip: scores, fallback: null };
    });
  },
};

describe("calibrateFolder with a fake pipeline", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  async function folder(files: Record<string, string>, tsv: string) {
    const dir = await mkdtemp(join(tmpdir(), "calibrate-"));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    await writeFile(join(dir, "labels.tsv"), tsv);
    return dir;
  }
  const run = async (dir: string) => {
    const warnings: string[] = [];
    const outcome = await calibrateFolder({
      classifier: fakeClassifier,
      packLabels: LABELS,
      imagesDir: dir,
      labelsFile: join(dir, "labels.tsv"),
      batchSize: 4,
      fit: { folds: 2, fittedAt: "2025-06-01T12:00:00.000Z" },
      warn: (line) => warnings.push(line),
    });
    return { outcome, warnings };
  };

  it("skips broken, missing and unlabelled images with one line each, and fits on the rest", async () => {
    const good = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`${i}.png`, `${LABELS[i % 3]}-${i}`]),
    );
    const rows = Object.keys(good).map((file, i) => `${file}\t${i % 3}`);
    const dir = await folder(
      {
        ...good,
        "broken.png": "broken",
        "slow.png": "slow",
        "stray.jpg": "cat",
        "nolabel.png": "cat",
      },
      [
        "file\tclass_index",
        ...rows,
        "broken.png\t0",
        "slow.png\t1",
        "missing.png\t2",
        "nolabel.png\t",
        "other.png\t9",
      ].join("\n"),
    );
    const { outcome, warnings } = await run(dir);
    expect(warnings.sort()).toEqual([
      "broken.png: the file is not an image; skipped",
      "missing.png: missing; skipped",
      "nolabel.png: no label; skipped",
      'other.png: class_index "9" is not a class of the pack (0–2); skipped',
      "slow.png: the second model did not answer (TIMEOUT); skipped",
      "stray.jpg: not in labels.tsv; skipped",
    ]);
    expect(outcome).toMatchObject({ used: 12, skipped: 6, failure: null });
    const calibration = outcome.result?.calibration;
    expect(calibration?.data.name).toBe(dir.split("/").pop());
    expect(calibration?.data.count).toBe(12);
    expect(calibration?.heldOut?.method).toBe("2-fold");
    expect(calibration?.heldOut?.cnn).toBe(1);
    // The identity covers the images used, and only those.
    const sha = (text: string) => sha256Hex(new TextEncoder().encode(text));
    expect(calibration?.data.sha256).toBe(
      dataSetSha256(
        Object.entries(good).map(([file, text], i) => ({ file, sha256: sha(text), label: i % 3 })),
      ),
    );
  });

  it("reads label names when there is no class_index column", async () => {
    const dir = await folder(
      { "a.png": "dog-1", "b.png": "fox-2", "c.png": "cat-3", "d.png": "dog-4" },
      "file\tlabel\na.png\tdog\nb.png\tfox\nc.png\tcat\nd.png\twolf\n",
    );
    const { outcome, warnings } = await run(dir);
    expect(warnings).toEqual(['d.png: label "wolf" is not one of the pack\'s labels; skipped']);
    expect(outcome.used).toBe(3);
  });

  it("fails without a result when nothing usable remains", async () => {
    const dir = await folder({ "x.png": "broken" }, "file\tclass_index\nx.png\t0\ny.png\t1\n");
    const { outcome, warnings } = await run(dir);
    expect(warnings).toHaveLength(2);
    expect(outcome).toMatchObject({ result: null, used: 0, skipped: 2 });
    expect(outcome.failure).toMatch(/0 usable images/);
  });

  it("names the columns a labels file needs", async () => {
    const dir = await folder({}, "name\tclass\n");
    await expect(run(dir)).rejects.toThrow(/needs a "file" column/);
  });
});

describe("dataSetSha256", () => {
  it("ignores reading order and changes with any name, content or label", () => {
    const a = { file: "a.png", sha256: "1".repeat(64), label: 0 };
    const b = { file: "b.png", sha256: "2".repeat(64), label: 1 };
    expect(dataSetSha256([a, b])).toBe(dataSetSha256([b, a]));
    expect(dataSetSha256([a, { ...b, label: 2 }])).not.toBe(dataSetSha256([a, b]));
    expect(dataSetSha256([a, { ...b, file: "c.png" }])).not.toBe(dataSetSha256([a, b]));
  });
});

describe("parseCalibrateArgs", () => {
  it("reads every option, with defaults", () => {
    expect(parseCalibrateArgs(["--images", "d"])).toEqual({
      args: {
        images: "d",
        labels: undefined,
        pack: undefined,
        folds: 5,
        maxShare: 0.3,
        share: undefined,
        write: false,
      },
    });
    const all = ["--images", "d", "--labels", "l.tsv", "--pack", "p", "--folds", "10"];
    expect(parseCalibrateArgs([...all, "--max-share", "0.5", "--share", "0.2", "--write"])).toEqual(
      {
        args: {
          images: "d",
          labels: "l.tsv",
          pack: "p",
          folds: 10,
          maxShare: 0.5,
          share: 0.2,
          write: true,
        },
      },
    );
    expect(parseCalibrateArgs(["--help"])).toEqual({ help: true });
  });

  it("turns a bad flag or value into one line, never a throw", () => {
    for (const argv of [
      ["--images", "d", "--fold", "5"],
      ["--images"],
      [],
      ["--images", "d", "--folds", "1"],
      ["--images", "d", "--max-share", "2"],
      ["--images", "d", "--share", "x"],
      ["--images", "d", "stray"],
    ]) {
      const parsed = parseCalibrateArgs(argv);
      expect(parsed).toHaveProperty("error");
      expect((parsed as { error: string }).error).not.toContain("\n");
    }
    expect(parseCalibrateArgs(["--images", "d", "--fold", "5"])).toEqual({
      error: "Unknown option '--fold'",
    });
  });
});
