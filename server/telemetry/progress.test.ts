import { describe, expect, it } from "vitest";
import { bar, createCountProgress } from "./progress.ts";

/** Progress written to a string, on a clock the test moves by hand. */
function capture(isTTY: boolean, total: number | null = 1000) {
  const out = { text: "", isTTY, columns: 120, write: (t: string) => (out.text += t) };
  let ms = 0;
  const progress = createCountProgress(out, "scoring", total, {
    unit: "images",
    now: () => ms,
    lineEveryMs: 5000,
    redrawEveryMs: 100,
  });
  return { out, progress, advance: (by: number) => (ms += by) };
}

describe("count progress", () => {
  it("draws a bar with count, rate and time left on a terminal, redrawn in place", () => {
    const { out, progress, advance } = capture(true);
    advance(2000);
    progress.update(400);
    expect(out.text).toBe(
      "\rscoring [##########--------------]  40% 400/1000 images 200.0/s 3 s left\x1b[K",
    );
    advance(50);
    progress.update(410); // sooner than a redraw
    expect(out.text.match(/\r/g)).toHaveLength(1);
    advance(2950);
    progress.finish(1000);
    expect(out.text.endsWith("\r\x1b[Kscoring: 1000 images in 5.0 s (200.0/s)\n")).toBe(true);
    expect(out.text.split("\n")).toHaveLength(2);
  });

  it("writes a plain line every few seconds when not on a terminal", () => {
    const { out, progress, advance } = capture(false);
    for (let i = 1; i <= 12; i++) {
      advance(1000);
      progress.update(i * 50);
    }
    progress.finish();
    expect(out.text).not.toContain("\r");
    expect(out.text.split("\n")).toEqual([
      "scoring: 250/1000 images (25%), 50.0/s",
      "scoring: 500/1000 images (50%), 50.0/s",
      "scoring: 600 images in 12.0 s (50.0/s)",
      "",
    ]);
  });

  it("counts without a bar when the total is unknown, and cuts the bar to the terminal", () => {
    const { out, progress, advance } = capture(true, null);
    advance(1000);
    progress.update(30);
    expect(out.text).toBe("\rscoring 30 images 30.0/s\x1b[K");
    expect(bar(0.5, 4)).toBe("[##--]");
    expect(bar(2, 4)).toBe("[####]");
  });
});
