import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  EMBEDDED_SAMPLES,
  hasSharedData,
  IMAGENET_MINI_PACK,
  IMAGENET_SAMPLES,
  REPO_ROOT,
  warnIfNoSharedData,
} from "../testing/shared-data.ts";

const run = promisify(execFile);
const hasEmbeddedSamples =
  existsSync(join(EMBEDDED_SAMPLES, "labels.tsv")) &&
  existsSync(join(REPO_ROOT, "models/fashion-mnist/pack.json"));
if (!hasEmbeddedSamples) {
  console.warn(
    "skipping the evaluate command on the embedded samples: models/fashion-mnist/samples not found",
  );
}
warnIfNoSharedData("the evaluate command on the ImageNet samples");

const ACCURACY_ROWS = [
  "CNN",
  "CLIP zero-shot (every image)",
  "ensemble (every image, vlm FORCE)",
  "service default (vlm AUTO: ensemble where routed)",
];
const HIGH_ROWS = ["0.5", "0.6", "0.7", "0.75", "0.8", "0.85", "0.9", "0.95"];

/** `npm run evaluate` as a user runs it, in a child process from the repository root. */
function evaluateCommand(...args: string[]) {
  return run("npx", ["tsx", "server/commands/evaluate.ts", ...args], {
    cwd: REPO_ROOT,
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** The Markdown section under `## heading`, up to the next one. */
function section(text: string, heading: string): string {
  const at = text.indexOf(`## ${heading}`);
  if (at < 0) throw new Error(`no "## ${heading}" in:\n${text}`);
  const next = text.indexOf("\n## ", at + 3);
  return text.slice(at, next < 0 ? undefined : next);
}

/** The first cells of a section's table rows, header and rule rows left out. */
function rowNames(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("| "))
    .slice(1)
    .map((line) => (line.split("|")[1] ?? "").trim());
}

/** Checks the three sections every run prints. */
function expectEverySection(stdout: string) {
  expect(rowNames(section(stdout, "Accuracy by path"))).toEqual(ACCURACY_ROWS);
  // The grid, plus the pack's own threshold when it is calibrated off the grid.
  expect(rowNames(section(stdout, "Routing thresholds"))).toEqual(
    expect.arrayContaining(HIGH_ROWS),
  );
  expect(section(stdout, "Routing thresholds")).toMatch(/◆ current thresholds/);
  expect(section(stdout, "Routing thresholds")).toContain("★ best");
  expect(section(stdout, "CLIP vision tower precisions")).toMatch(/\| int8 \||Skipped: /);
}

describe("npm run evaluate", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasEmbeddedSamples)(
    "prints every section for the embedded pack's samples",
    async () => {
      const { stdout } = await evaluateCommand(
        "--images",
        "models/fashion-mnist/samples",
        "--pack",
        "fashion-mnist",
      );
      expect(stdout).toContain('# Evaluation of pack "fashion-mnist"');
      expectEverySection(stdout);
    },
    240_000,
  );

  it.skipIf(!hasSharedData)(
    "evaluates a pack given by path and writes the JSON report",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "evaluate-"));
      dirs.push(dir);
      const json = join(dir, "report.json");
      const { stdout } = await evaluateCommand(
        "--images",
        IMAGENET_SAMPLES,
        "--pack",
        IMAGENET_MINI_PACK,
        "--limit",
        "16",
        "--json",
        json,
      );
      expectEverySection(stdout);
      expect(stdout).toContain("16 images, ");
      expect(stdout).toContain("Skipped: the CLIP vision tower has a single file");
      const report = JSON.parse(await readFile(json, "utf8"));
      expect(report).toMatchObject({
        pack: "imagenet-mini",
        thresholds: { high: 0.85, low: 0.65 },
        report: { images: 16, failed: 0, fallbacks: 0 },
        precision: { skipped: expect.any(String) },
      });
      expect(report.sweep.current).toMatchObject({
        high: 0.85,
        low: 0.65,
        top1: report.report.service.top1,
        routedToClip: report.report.routedToClip,
      });
    },
    240_000,
  );

  it("explains its usage when --images is missing", async () => {
    await expect(evaluateCommand("--limit", "3")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("usage: npm run evaluate -- --images DIR"),
    });
  });
});
