import type { RateProfile } from "../lib/scenarios.js";

/**
 * When each request of an open-model run is due, in ms from the start: arrival k is sent when
 * the integral of the rate reaches k, the semantics of k6's arrival-rate executors (the rate
 * moves linearly within a stage). Lazy, so a 30-minute soak never holds its schedule in memory.
 */
export function* arrivalTimesMs(profile: RateProfile): Generator<number> {
  let stageStartS = 0;
  let stageStartCount = 0;
  let rate = profile.startRate;
  let next = 0;
  for (const { target, durationS } of profile.stages) {
    const slope = (target - rate) / durationS;
    const stageCount = ((rate + target) / 2) * durationS;
    for (; next < stageStartCount + stageCount; next++) {
      const n = next - stageStartCount;
      // Solve rate·t + slope·t²/2 = n for t within the stage.
      const t =
        Math.abs(slope) < 1e-9 ? n / rate : (Math.sqrt(rate * rate + 2 * slope * n) - rate) / slope;
      yield (stageStartS + t) * 1000;
    }
    stageStartS += durationS;
    stageStartCount += stageCount;
    rate = target;
  }
}
