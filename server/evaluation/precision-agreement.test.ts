import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config/config.ts";
import { loadModels } from "../inference/load-models.ts";
import { loadPack } from "../packs/load-pack.ts";
import { copyPack } from "../testing/pack-copy.ts";
import {
  hasSharedData,
  IMAGENET_MINI_PACK,
  IMAGENET_SAMPLES,
  warnIfNoSharedData,
} from "../testing/shared-data.ts";
import { labelledFolder, readLabelsTsv } from "./labelled-folder.ts";
import { precisionAgreement, precisionTable } from "./precision-agreement.ts";

warnIfNoSharedData("the CLIP precision agreement checks");

describe.skipIf(!hasSharedData)("precisionAgreement (imagenet-mini)", () => {
  const { limits } = loadConfig({});
  const options = { intraOpThreads: 1 };
  let cacheDir: string;
  let images: () => ReturnType<typeof labelledFolder>;
  const copies: { remove: () => Promise<void> }[] = [];

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), "label-cache-"));
    const rows = (await readLabelsTsv(join(IMAGENET_SAMPLES, "labels.tsv"))).slice(0, 12);
    images = () => labelledFolder(IMAGENET_SAMPLES, rows, 5);
  });
  afterAll(async () => {
    for (const copy of copies) await copy.remove();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("skips, and says why, when the vision tower has one file", async () => {
    const pack = await loadPack(IMAGENET_MINI_PACK);
    const { clip } = await loadModels(pack, { ...options, cacheDir });
    const report = await precisionAgreement({ pack, clip, images: images(), limits, ...options });
    expect(report).toEqual({
      skipped: "the CLIP vision tower has a single file (clip/vision_model_int8.onnx)",
    });
    expect(precisionTable(report)).toBe(
      "Skipped: the CLIP vision tower has a single file (clip/vision_model_int8.onnx).",
    );
  });

  it("finds full agreement when int8 names the default file itself", async () => {
    const copy = await copyPack(IMAGENET_MINI_PACK, (m) => {
      m.clip.vision.precisions = { int8: m.clip.vision.model };
    });
    copies.push(copy);
    const pack = await loadPack(copy.dir);
    const { clip } = await loadModels(pack, { ...options, cacheDir });
    const report = await precisionAgreement({ pack, clip, images: images(), limits, ...options });
    if (!("compared" in report)) throw new Error(report.skipped);
    expect(report.compared).toHaveLength(1);
    const [row] = report.compared;
    expect(row).toMatchObject({
      precision: "int8",
      file: "clip/vision_model_int8.onnx",
      reference: "clip/vision_model_int8.onnx",
      images: 12,
      top1Agreement: 1,
    });
    expect(row?.cosine.min).toBeCloseTo(1, 6);
    expect(row?.cosine.mean).toBeCloseTo(1, 6);
    expect(precisionTable(report)).toMatch(
      /\| int8 \| clip\/vision_model_int8\.onnx \| clip\/vision_model_int8\.onnx \| 12 \| 1\.000000 \| 1\.000000 \| 100\.00 % \|/,
    );
  });
});
