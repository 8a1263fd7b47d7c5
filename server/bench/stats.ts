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
