import type { ClipModels } from "../inference/load-models.ts";
import type { ModelRunner } from "../pipeline/model-runner.ts";

/**
 * throw: fails at once. hang: never answers (until `release`, then fails). hold: answers, but
 * only once the test calls `release`, as a slow model would.
 */
export type ClipFault = "throw" | "hang" | "hold";

/**
 * CLIP's vision tower as a fake runner whose faults a test switches on and off, for testing
 * fallbacks through CLIP's real step (cache, batcher, breaker). Without a fault it answers with
 * `answer`.
 */
export function faultyClipRunner(answer: ModelRunner) {
  const calls = { count: 0, images: 0 };
  const waiting: (() => void)[] = [];
  let fault: ClipFault | null = null;
  const run: ModelRunner = async (tensors) => {
    calls.count++;
    calls.images += tensors.length;
    const current = fault;
    if (current === "throw") throw new Error("injected CLIP failure");
    if (current === "hang" || current === "hold") {
      await new Promise<void>((resolve) => waiting.push(resolve));
      if (current === "hang") throw new Error("injected CLIP hang released");
    }
    return answer(tensors);
  };
  return {
    run,
    /** Calls of the runner, and the images they carried. */
    calls,
    /** Calls held or hung right now. */
    get waiting() {
      return waiting.length;
    },
    /** The fault for the calls from now on; null answers normally. */
    inject(next: ClipFault | null) {
      fault = next;
    },
    /** Lets every held or hung call go, so the test leaves nothing pending. */
    release() {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

/** Fault injection for CLIP's text tower, which embeds callers' own labels. */
export function injectTextFault(clip: ClipModels | null, fault: "throw" | "hang") {
  if (!clip) throw new Error("the pack has no CLIP to inject faults into");
  const tower = clip.text as { embed: ClipModels["text"]["embed"] };
  const real = tower.embed;
  const calls = { count: 0 };
  const hung: (() => void)[] = [];
  tower.embed = async () => {
    calls.count++;
    if (fault === "throw") throw new Error("injected CLIP failure");
    // Never settles by itself; `restore` releases it so the test leaves nothing pending.
    await new Promise<void>((resolve) => hung.push(resolve));
    throw new Error("injected CLIP hang released");
  };
  return {
    calls,
    restore() {
      tower.embed = real;
      for (const release of hung) release();
    },
  };
}
