/** CNN_NICENESS: a fixed niceness for the CNN's threads, or chosen from the warm-up. */
export type CnnNicenessSetting = number | "auto";

/** The niceness "auto" gives the CNN when CLIP is the expensive model: CLIP then gets ~90 %. */
export const YIELDING_NICENESS = 10;

/**
 * How many CNN images one CLIP image must cost before CLIP counts as the bottleneck. With the
 * share of images sent to CLIP at about 30 % (forced or unsure), CLIP's work outweighs the
 * CNN's once one of its images costs more than 1 / 0.3 ≈ 3.3 CNN images.
 */
export const CLIP_HEAVY_RATIO = 3;

export interface CnnPriority {
  niceness: number;
  /** One line for the start-up log and /ready. */
  reason: string;
}

/**
 * The CNN's niceness. When both models have work the kernel splits the cores by niceness, so a
 * nicer CNN hands them to CLIP: right when CLIP is the bottleneck (its answers are the scarce
 * ones, and a late CLIP batch costs the second opinion while a late CNN answer is only slower),
 * wrong when the CNN is (a nicer CNN only loses cores to decodes and to other processes). "auto"
 * decides from what the warm-up measured per image at the largest batch.
 */
export function chooseCnnPriority(
  setting: CnnNicenessSetting,
  perImageMs: { cnn: number | undefined; clip: number | undefined },
): CnnPriority {
  if (setting !== "auto") return { niceness: setting, reason: "set by CNN_NICENESS" };
  const { cnn, clip } = perImageMs;
  if (clip === undefined || cnn === undefined || cnn <= 0) {
    return { niceness: 0, reason: "auto: no second model to give the cores to" };
  }
  const ratio = clip / cnn;
  const measured = `a CLIP image costs ${ratio.toFixed(1)} CNN images`;
  return ratio >= CLIP_HEAVY_RATIO
    ? { niceness: YIELDING_NICENESS, reason: `auto: ${measured}, so CLIP gets the cores first` }
    : { niceness: 0, reason: `auto: ${measured}, so the models share the cores evenly` };
}
