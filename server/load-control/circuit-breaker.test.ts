import { describe, expect, it, vi } from "vitest";
import { createDynamicBatcher } from "../scheduling/dynamic-batcher.ts";
import { createLatencyModel } from "../scheduling/latency-model.ts";
import { createCircuitBreaker } from "./circuit-breaker.ts";
import { DeadlineUnmeetableError, QueueFullError } from "./load-refusals.ts";

function manualClock(start = 1_000) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

function failTimes(breaker: { failure(): void }, times: number) {
  for (let i = 0; i < times; i++) breaker.failure();
}

describe("createCircuitBreaker", () => {
  it("starts closed and allows calls", () => {
    const breaker = createCircuitBreaker();
    expect(breaker.state).toBe("closed");
    expect(breaker.allow()).toBe(true);
  });

  it("opens after failureThreshold consecutive failures and then refuses calls", () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({ failureThreshold: 3, now: clock.now });
    failTimes(breaker, 2);
    expect(breaker.state).toBe("closed");
    breaker.failure();
    expect(breaker.state).toBe("open");
    expect(breaker.allow()).toBe(false);
  });

  it("opens after 5 failures by default", () => {
    const breaker = createCircuitBreaker({ now: manualClock().now });
    failTimes(breaker, 4);
    expect(breaker.state).toBe("closed");
    breaker.failure();
    expect(breaker.state).toBe("open");
  });

  it("counts only consecutive failures: a success resets the count", () => {
    const breaker = createCircuitBreaker({ failureThreshold: 3, now: manualClock().now });
    failTimes(breaker, 2);
    breaker.success();
    failTimes(breaker, 2);
    expect(breaker.state).toBe("closed");
  });

  it("allows exactly one trial after resetAfterMs (10 s by default)", () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, now: clock.now });
    breaker.failure();
    clock.advance(9_999);
    expect(breaker.state).toBe("open");
    expect(breaker.allow()).toBe(false);

    clock.advance(1);
    expect(breaker.state).toBe("half-open");
    expect(breaker.allow()).toBe(true);
    expect(breaker.state).toBe("half-open");
    expect(breaker.allow()).toBe(false);
  });

  it("closes when the trial succeeds", () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({
      failureThreshold: 2,
      resetAfterMs: 500,
      now: clock.now,
    });
    failTimes(breaker, 2);
    clock.advance(500);
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe("closed");
    expect(breaker.allow()).toBe(true);
    // A fresh count: one failure after closing does not re-open a threshold-2 circuit.
    breaker.failure();
    expect(breaker.state).toBe("closed");
  });

  it("re-opens for another resetAfterMs when the trial fails", () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({
      failureThreshold: 2,
      resetAfterMs: 500,
      now: clock.now,
    });
    failTimes(breaker, 2);
    clock.advance(600);
    expect(breaker.allow()).toBe(true);
    clock.advance(50);
    breaker.failure();
    expect(breaker.state).toBe("open");
    clock.advance(499);
    expect(breaker.allow()).toBe(false);
    clock.advance(1);
    expect(breaker.allow()).toBe(true);
  });

  it("lets a new trial through when the previous one never reported back", () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      resetAfterMs: 500,
      now: clock.now,
    });
    breaker.failure();
    clock.advance(500);
    expect(breaker.allow()).toBe(true);
    clock.advance(499);
    expect(breaker.allow()).toBe(false);
    clock.advance(1);
    expect(breaker.allow()).toBe(true);
  });

  it("ignores late reports from calls started before the circuit opened", () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      resetAfterMs: 500,
      now: clock.now,
    });
    breaker.failure();
    clock.advance(400);
    breaker.success();
    expect(breaker.state).toBe("open");
    breaker.failure();
    clock.advance(100);
    // The late failure at 400 ms did not push the trial back.
    expect(breaker.allow()).toBe(true);
  });

  it("rejects a threshold below 1 and a negative reset time", () => {
    expect(() => createCircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => createCircuitBreaker({ resetAfterMs: -1 })).toThrow(RangeError);
  });
});

describe("what the breaker counts", () => {
  it("ignores refusals for load: a full queue or an unmeetable deadline is not a fault", () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2, now: manualClock().now });
    for (let i = 0; i < 10; i++) {
      breaker.failure(new QueueFullError(64));
      breaker.failure(new DeadlineUnmeetableError(700, 500));
    }
    expect(breaker.state).toBe("closed");
  });

  it("counts errors, and a report without one (a hang)", () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2, now: manualClock().now });
    breaker.failure(new Error("model crashed"));
    breaker.failure();
    expect(breaker.state).toBe("open");
  });

  it("does not let refusals reset the count of consecutive faults either", () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2, now: manualClock().now });
    breaker.failure(new Error("model crashed"));
    breaker.failure(new QueueFullError(64));
    breaker.failure(new Error("model crashed"));
    expect(breaker.state).toBe("open");
  });

  it("takes a custom isFault", () => {
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      now: manualClock().now,
      isFault: (error) => !(error instanceof RangeError),
    });
    breaker.failure(new RangeError("bad input"));
    expect(breaker.state).toBe("closed");
  });

  it("opens on a hung model call reported by the batcher's overrun watch", async () => {
    vi.useFakeTimers();
    try {
      const breaker = createCircuitBreaker({ failureThreshold: 3, now: () => Date.now() });
      const latency = createLatencyModel();
      latency.observe(1, 100);
      const batcher = createDynamicBatcher({
        run: () => new Promise<number[]>(() => {}),
        latency,
        now: () => Date.now(),
        onOverrun: () => breaker.failure(),
      });
      void batcher.submit(1);
      // Reported every max(2 × 100 ms, 1000 ms floor) while it hangs.
      await vi.advanceTimersByTimeAsync(2999);
      expect(breaker.state).toBe("closed");
      await vi.advanceTimersByTimeAsync(1);
      expect(breaker.state).toBe("open");
    } finally {
      vi.useRealTimers();
    }
  });
});
