import { join } from "node:path";
import { copyPack } from "./pack-copy.ts";
import { REPO_ROOT } from "./shared-data.ts";

/**
 * A throw-away copy of the embedded pack without its calibration, so it routes by the legacy
 * thresholds (0.85 / 0.65). For tests of serving mechanics (load mixes, metrics by reason) that
 * need images routed under AUTO: the calibrated embedded pack routes none (its second model
 * does not beat the CNN on held-out images). Call `remove` when done.
 */
export function legacyEmbeddedPack() {
  return copyPack(join(REPO_ROOT, "models/fashion-mnist"), (manifest) => {
    delete manifest.calibration;
  });
}
