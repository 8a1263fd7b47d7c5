import { describe, expect, it } from "vitest";
import type { ClipTextModel } from "./clip-text.ts";
import { embedLabels } from "./label-embeddings.ts";
import { promptProgress } from "./load-models.ts";

/** A text tower that embeds every prompt as the same unit vector, counting its calls. */
function fakeTextTower() {
  const calls: number[] = [];
  const text = {
    model: {} as ClipTextModel["model"],
    embed: async (prompts: readonly string[]) => {
      calls.push(prompts.length);
      return prompts.map(() => Float32Array.from([1, 0]));
    },
  } satisfies ClipTextModel;
  return { text, calls };
}

describe("first-start label embedding progress", () => {
  const labels = Array.from({ length: 300 }, (_, i) => `label ${i}`);
  const templates = ["a photo of a {}.", "a {}.", "an image of a {}.", "the {}."];

  it("reports the prompts embedded after each text-tower call", async () => {
    const { text, calls } = fakeTextTower();
    const seen: number[] = [];
    const embedded = await embedLabels(text, labels, templates, (done) => seen.push(done));
    expect(calls).toEqual([256, 256, 256, 256, 176]);
    expect(seen).toEqual([256, 512, 768, 1024, 1200]);
    expect(embedded.matrix).toHaveLength(600);
  });

  it("logs a first line and a closing one for many prompts, as plain log lines", async () => {
    const { text } = fakeTextTower();
    const lines: string[] = [];
    const onProgress = promptProgress(labels.length * templates.length, (l) => lines.push(l));
    await embedLabels(text, labels, templates, onProgress);
    expect(lines[0]).toBe("embedding 1200 label prompts with the text tower (once; then cached)");
    expect(lines.at(-1)).toMatch(/^label embeddings: 1200 prompts in \d+\.\d s \(\d+\.\d\/s\)$/);
    expect(lines.every((line) => !line.includes("\r") && !line.includes("\n"))).toBe(true);
  });

  it("stays silent for a small pack, or without a log", () => {
    expect(promptProgress(10 * 8, () => {})).toBeUndefined();
    expect(promptProgress(5000, undefined)).toBeUndefined();
  });
});
