import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { HeldOutReport } from "../calibration/index.ts";
import { loadConfig } from "../config/config.ts";
import { createRuntime } from "../runtime/runtime.ts";
import {
  hasSharedData,
  IMAGENET_MINI_PACK,
  IMAGENET_SAMPLES,
  REPO_ROOT,
  warnIfNoSharedData,
} from "../testing/shared-data.ts";
import { calibrateFolder } from "./calibrate-folder.ts";

const IMAGENET_PACK = join(REPO_ROOT, "models/imagenet");
const hasImagenetPack = existsSync(join(IMAGENET_PACK, "pack.json"));
warnIfNoSharedData("the calibration gates on the ImageNet photos");
if (!hasImagenetPack) {
  console.warn(
    "skipping the imagenet pack's calibration gate: models/imagenet/pack.json not found",
  );
}

/**
 * Scores the ImageNet sample photos through a pack's pipeline and cross-validates its
 * calibration (5 folds, at most 30 % of images to the second model): held-out figures only.
 */
async function crossValidatedOnPhotos(pack: string): Promise<HeldOutReport> {
  const runtime = await createRuntime(loadConfig({ MODEL_PACK: pack, VLM_TIMEOUT_MS: "60000" }));
  try {
    const outcome = await calibrateFolder({
      classifier: runtime.classifier,
      packLabels: runtime.models.pack.labels,
      imagesDir: IMAGENET_SAMPLES,
      labelsFile: join(IMAGENET_SAMPLES, "labels.tsv"),
      batchSize: Math.min(32, runtime.config.batching.clipQueueMax),
      fit: { folds: 5, maxShare: 0.3 },
      warn: (line) => {
        throw new Error(`a sample photo was skipped: ${line}`);
      },
    });
    if (!outcome.result) throw new Error(outcome.failure ?? "no calibration");
    return outcome.result.heldOut;
  } finally {
    await runtime.close();
  }
}

describe.skipIf(!hasSharedData)("calibration gates on the ImageNet sample photos", () => {
  // Its second model shares the CNN's backbone: the fit should route little or nothing, and
  // whatever it does must not cost accuracy on images it never saw.
  it("imagenet-mini: the calibrated cascade is never worse than the CNN out of fold", async () => {
    const heldOut = await crossValidatedOnPhotos(IMAGENET_MINI_PACK);
    expect(heldOut.count).toBe(250);
    expect(heldOut.auto).toBeGreaterThanOrEqual(heldOut.cnn);
    expect(heldOut.share).toBeLessThanOrEqual(0.3);
  }, 300_000);

  it.skipIf(!hasImagenetPack)(
    "imagenet: an independent second model pays for itself out of fold",
    async () => {
      const heldOut = await crossValidatedOnPhotos(IMAGENET_PACK);
      expect(heldOut.clip).toBeGreaterThanOrEqual(0.75);
      expect(heldOut.auto).toBeGreaterThanOrEqual(0.86);
      expect(heldOut.auto).toBeGreaterThanOrEqual(heldOut.cnn);
      expect(heldOut.share).toBeLessThanOrEqual(0.3);
      expect(heldOut.force).toBeGreaterThanOrEqual(0.87);
    },
    300_000,
  );
});
