import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.ts";

/** Progress written to a string, on a clock the test moves by hand. */
function capture(isTTY: boolean) {
  const out = { text: "", isTTY, columns: 120, write: (t: string) => (out.text += t) };
  let ms = 0;
  const progress = createProgress(out, { now: () => ms, lineEveryMs: 5000, redrawEveryMs: 100 });
  return { out, progress, advance: (by: number) => (ms += by) };
}

describe("download progress", () => {
  it("draws a bar with bytes, percent and rate on a terminal, redrawn in place", () => {
    const { out, progress, advance } = capture(true);
    const file = progress.file("clip/vision_model.onnx");
    file.start(10_000_000, 0);
    advance(2000);
    file.update(4_000_000);
    expect(out.text).toContain("\r");
    expect(out.text).toContain(
      "clip/vision_model.onnx [##########--------------]  40% 4.0 MB/10.0 MB 2.0 MB/s",
    );
    expect(out.text).not.toContain("\n");
    advance(3000);
    file.finish(10_000_000);
    expect(out.text.endsWith("clip/vision_model.onnx: 10.0 MB in 5.0 s (2.0 MB/s)\n")).toBe(true);
  });

  it("writes plain lines every few seconds when not on a terminal", () => {
    const { out, progress, advance } = capture(false);
    const file = progress.file("cnn/model.onnx");
    file.start(8_000_000, 2_000_000);
    advance(1000);
    file.update(3_000_000); // too soon for another line
    advance(4000);
    file.update(6_000_000);
    file.finish(8_000_000);
    expect(out.text).not.toContain("\r");
    expect(out.text.split("\n")).toEqual([
      "cnn/model.onnx: downloading 8.0 MB, continuing at 2.0 MB",
      "cnn/model.onnx: 75% (6.0 MB of 8.0 MB), 0.8 MB/s",
      "cnn/model.onnx: 6.0 MB in 5.0 s (1.2 MB/s)",
      "",
    ]);
  });

  it("puts notes on lines of their own, clearing a bar first", () => {
    const { out, progress, advance } = capture(true);
    const file = progress.file("a.onnx");
    file.start(null, 0);
    advance(500);
    file.update(1_000_000);
    progress.note("a.onnx: retry 1 of 3");
    expect(out.text.endsWith("a.onnx 1.0 MB 2.0 MB/s\x1b[K\r\x1b[Ka.onnx: retry 1 of 3\n")).toBe(
      true,
    );
  });
});
