import { describe, expect, it } from "vitest";
import { createTokenBucket } from "./token-bucket.ts";

/** A clock the test moves by hand, in milliseconds. */
function manualClock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("createTokenBucket", () => {
  it("lets a full burst through, then refuses with the seconds until the next token", () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ perSecond: 2, burst: 3 }, clock.now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
    ]);
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it("refills at the rate, never above the burst", () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ perSecond: 2, burst: 3 }, clock.now);
    for (let i = 0; i < 3; i++) bucket.take();
    clock.advance(499);
    expect(bucket.take().ok).toBe(false);
    clock.advance(1); // 0.5 s: one token at 2/s
    expect(bucket.take().ok).toBe(true);
    expect(bucket.take().ok).toBe(false);
    clock.advance(60_000);
    const afterIdle = Array.from({ length: 5 }, () => bucket.take().ok);
    expect(afterIdle).toEqual([true, true, true, false, false]);
  });

  it("asks a slow key to wait whole seconds", () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ perSecond: 0.2, burst: 1 }, clock.now);
    expect(bucket.take().ok).toBe(true);
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 5 });
    clock.advance(2_500);
    expect(bucket.take()).toEqual({ ok: false, retryAfterSeconds: 3 });
  });
});
