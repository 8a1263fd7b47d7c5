import { describe, expect, it } from "vitest";
import { createBodyRateWindow } from "./body-rate.ts";

const OPTIONS = { minBytesPerSecond: 1000, windowMs: 10_000 };

/** Feeds `bytesPerSecond` every second from t = 0 and returns the second it was judged too slow. */
function secondCutOff(bytesPerSecond: (second: number) => number, seconds = 120): number | null {
  const window = createBodyRateWindow(OPTIONS, 0);
  let bytes = 0;
  for (let s = 1; s <= seconds; s++) {
    bytes += bytesPerSecond(s);
    if (window.tooSlow(s * 1000, bytes)) return s;
  }
  return null;
}

describe("createBodyRateWindow", () => {
  it("never cuts off a body at or above the minimum rate", () => {
    expect(secondCutOff(() => 1000)).toBeNull();
    // A 20 MB upload on a slow mobile link (64 KiB/s) takes ~5 minutes and passes.
    expect(secondCutOff(() => 64 * 1024, 320)).toBeNull();
  });

  it("gives a client one whole window before judging it", () => {
    expect(secondCutOff(() => 0)).toBe(10);
  });

  it("cuts off a byte every few seconds after one window", () => {
    expect(secondCutOff((s) => (s % 5 === 0 ? 1 : 0))).toBe(10);
  });

  it("judges the latest window only: a fast start buys nothing later", () => {
    // 1 MB in the first second, then nothing: cut off once the fast second leaves the window.
    expect(secondCutOff((s) => (s === 1 ? 1_000_000 : 0))).toBe(11);
  });

  it("tolerates a pause shorter than the window when the average holds", () => {
    // 2000 B/s with a 4 s pause every 10 s: 12,000 B per window, above the 10,000 needed.
    expect(secondCutOff((s) => (s % 10 < 4 ? 0 : 2000))).toBeNull();
  });

  it("starts afresh on restart (the server was not reading)", () => {
    const window = createBodyRateWindow(OPTIONS, 0);
    expect(window.tooSlow(9000, 0)).toBe(false);
    window.restart(9000, 0);
    expect(window.tooSlow(18_000, 0)).toBe(false);
    expect(window.tooSlow(19_000, 0)).toBe(true);
  });
});
