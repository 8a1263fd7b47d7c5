import { LOG_PROB_FLOOR, logSumExp, type Scores } from "../math/log-space.ts";

/** Search range for a temperature; the defaults cover every model seen so far with room to spare. */
export interface TemperatureRange {
  /** Default 0.05. */
  min?: number;
  /** Default 20. */
  max?: number;
  /** Relative change in 1/T at which the search stops. Default 1e-7. */
  tolerance?: number;
}

/** Mean negative log-likelihood of the true classes under softmax(scores / temperature). */
export function meanNll(
  rows: readonly Scores[],
  labels: ArrayLike<number>,
  temperature: number,
): number {
  if (rows.length === 0) throw new Error("no images to score");
  let total = 0;
  const scaled = new Float64Array(rows[0]?.length ?? 0);
  rows.forEach((row, i) => {
    for (let c = 0; c < row.length; c++) scaled[c] = (row[c] as number) / temperature;
    total += logSumExp(scaled) - (scaled[labels[i] as number] as number);
  });
  return total / rows.length;
}

/**
 * The temperature T minimising the mean NLL of softmax(z / T). The NLL is convex in β = 1/T
 * (its slope is E_p[z] − z_y, its curvature Var_p[z]), so Newton on β converges in a few passes
 * over the data; a bracket on the slope's sign catches any step that overshoots. Data a model
 * separates perfectly pushes T to `min`: the bound keeps the answer finite.
 */
export function fitTemperature(
  rows: readonly Scores[],
  labels: ArrayLike<number>,
  { min = 0.05, max = 20, tolerance = 1e-7 }: TemperatureRange = {},
): number {
  if (rows.length === 0) throw new Error("no images to score");
  let lo = 1 / max;
  let hi = 1 / min;
  let beta = Math.min(hi, Math.max(lo, 1));
  for (let step = 0; step < 100; step++) {
    const { slope, curvature } = derivatives(rows, labels, beta);
    if (slope > 0) hi = beta;
    else lo = beta;
    let next = beta - slope / curvature;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    const done = Math.abs(next - beta) <= tolerance * beta || hi - lo <= tolerance * lo;
    beta = next;
    if (done) break;
  }
  return 1 / beta;
}

/** d/dβ and d²/dβ² of the mean NLL at β, in one pass (scores shifted by their max: stable). */
function derivatives(rows: readonly Scores[], labels: ArrayLike<number>, beta: number) {
  let slope = 0;
  let curvature = 0;
  rows.forEach((row, i) => {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < row.length; c++) max = Math.max(max, row[c] as number);
    let sum = 0;
    let first = 0;
    let second = 0;
    for (let c = 0; c < row.length; c++) {
      // Floored like log-probabilities: a log 0 from a probability-output CNN stays finite.
      const z = Math.max(LOG_PROB_FLOOR, (row[c] as number) - max);
      const w = Math.exp(beta * z);
      sum += w;
      first += w * z;
      second += w * z * z;
    }
    const mean = first / sum;
    slope += mean - Math.max(LOG_PROB_FLOOR, (row[labels[i] as number] as number) - max);
    curvature += second / sum - mean * mean;
  });
  return { slope: slope / rows.length, curvature: curvature / rows.length };
}
