import { logSumExp, type Scores } from "./log-space.ts";

/** Search range for a temperature; the defaults cover every model seen so far with room to spare. */
export interface TemperatureRange {
  /** Default 0.05. */
  min?: number;
  /** Default 20. */
  max?: number;
  /** Width of the final bracket in log T. Default 1e-4. */
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
 * The temperature T minimising the mean NLL of softmax(z / T). The NLL is convex in 1/T, hence
 * unimodal in log T, so a golden-section search on log T finds the minimum without derivatives.
 * Data a model separates perfectly pushes T to `min`: the bound keeps the answer finite.
 */
export function fitTemperature(
  rows: readonly Scores[],
  labels: ArrayLike<number>,
  { min = 0.05, max = 20, tolerance = 1e-4 }: TemperatureRange = {},
): number {
  const nll = (logT: number) => meanNll(rows, labels, Math.exp(logT));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let lo = Math.log(min);
  let hi = Math.log(max);
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = nll(a);
  let fb = nll(b);
  while (hi - lo > tolerance) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = nll(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = nll(b);
    }
  }
  return Math.exp((lo + hi) / 2);
}
