import type { ClipModels } from "../inference/load-models.ts";

export type ClipFault = "throw" | "hang" | { delayMs: number };

/**
 * Fault injection for CLIP's vision tower: wraps the real model so it throws, hangs or answers
 * late. Only for testing fallbacks; the real model still answers in the "slow" case. Returns
 * a counter of calls and a `restore` that puts the real model back.
 */
export function injectVisionFault(clip: ClipModels | null, fault: ClipFault) {
  if (!clip) throw new Error("the pack has no CLIP to inject faults into");
  return injectFault(clip.vision as { embed: ClipModels["vision"]["embed"] }, fault);
}

/** The same for CLIP's text tower, which embeds callers' own labels. */
export function injectTextFault(clip: ClipModels | null, fault: ClipFault) {
  if (!clip) throw new Error("the pack has no CLIP to inject faults into");
  return injectFault(clip.text as { embed: ClipModels["text"]["embed"] }, fault);
}

function injectFault<I>(
  tower: { embed: (inputs: readonly I[]) => Promise<Float32Array[]> },
  fault: ClipFault,
) {
  const real = tower.embed;
  const calls = { count: 0, images: 0 };
  const hung: (() => void)[] = [];
  tower.embed = async (inputs) => {
    calls.count++;
    calls.images += inputs.length;
    if (fault === "throw") throw new Error("injected CLIP failure");
    if (fault === "hang") {
      // Never settles by itself; `restore` releases it so the test leaves nothing pending.
      await new Promise<void>((resolve) => hung.push(resolve));
      throw new Error("injected CLIP hang released");
    }
    await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    return real(inputs);
  };
  return {
    /** Calls of the tower, and the inputs (images or prompts) they carried. */
    calls,
    restore() {
      tower.embed = real;
      for (const release of hung) release();
    },
  };
}
