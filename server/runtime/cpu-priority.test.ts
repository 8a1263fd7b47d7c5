import { describe, expect, it } from "vitest";
import { CLIP_HEAVY_RATIO, chooseCnnPriority, YIELDING_NICENESS } from "./cpu-priority.ts";

describe("the CNN's share of the cores", () => {
  it("yields to CLIP when a CLIP image costs several CNN images", () => {
    // The ViT-B/32-shaped benchmark pack: ~56 ms per CLIP image, ~7 ms per CNN image.
    const priority = chooseCnnPriority("auto", { cnn: 7, clip: 56 });
    expect(priority.niceness).toBe(YIELDING_NICENESS);
    expect(priority.reason).toMatch(/a CLIP image costs 8\.0 CNN images/);
  });

  it("shares evenly when the CNN is the expensive model, or CLIP barely costs more", () => {
    // The imagenet pack: ShuffleNet V2 is cheaper than MobileNetV2.
    expect(chooseCnnPriority("auto", { cnn: 11, clip: 7 }).niceness).toBe(0);
    expect(chooseCnnPriority("auto", { cnn: 10, clip: 10 * CLIP_HEAVY_RATIO - 0.1 }).niceness).toBe(
      0,
    );
    expect(chooseCnnPriority("auto", { cnn: 10, clip: 10 * CLIP_HEAVY_RATIO }).niceness).toBe(
      YIELDING_NICENESS,
    );
  });

  it("shares evenly without a second model or a measurement", () => {
    expect(chooseCnnPriority("auto", { cnn: 5, clip: undefined })).toEqual({
      niceness: 0,
      reason: "auto: no second model to give the cores to",
    });
    expect(chooseCnnPriority("auto", { cnn: undefined, clip: 50 }).niceness).toBe(0);
  });

  it("takes a number as it is", () => {
    expect(chooseCnnPriority(4, { cnn: 11, clip: 7 })).toEqual({
      niceness: 4,
      reason: "set by CNN_NICENESS",
    });
    expect(chooseCnnPriority(0, { cnn: 1, clip: 100 }).niceness).toBe(0);
  });
});
