/** The q-quantile (0..1) of samples, by nearest rank; NaN for none. */
export function quantile(samples: ArrayLike<number>, q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Array.from(samples).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

/** Runs `once` repeatedly for about `seconds` (at least `minRuns`), after `warmUp` untimed runs. */
export async function timeRuns(
  once: () => Promise<unknown>,
  { seconds = 3, minRuns = 5, warmUp = 2 } = {},
): Promise<number[]> {
  for (let i = 0; i < warmUp; i++) await once();
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (times.length < minRuns || performance.now() < until) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  return times;
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));
