/**
 * How long one model call takes per batch size, learned from the calls themselves. The batcher
 * sizes batches and admits items from it, so it must cover every size from the first batch on:
 * sizes never measured are read off a straight line through the measured ones (a batched CNN or
 * transformer costs a fixed overhead plus roughly the same per image).
 */
export interface LatencyModel {
  /** Expected milliseconds for one call of `size` items; undefined until any size is measured. */
  estimateMs(size: number): number | undefined;
  /**
   * Milliseconds one call of `size` items should stay under: the expectation plus twice its
   * mean deviation, as TCP bounds a round trip (RFC 6298). What deadlines are planned with: a
   * plan on the average alone misses about every other deadline it cuts close, and a call
   * that misses one has spent its compute for an answer nobody waits for any more.
   */
  boundMs(size: number): number | undefined;
  /** Records one call that ran `size` items in `ms`. */
  observe(size: number, ms: number): void;
  /** The sizes measured so far, ascending. */
  readonly measuredSizes: readonly number[];
}

export interface LatencyModelOptions {
  /**
   * Weight of a new measurement in its size's moving average; default 0.2, so a lasting change
   * (another process taking a core) shows within a few batches while one slow batch (a GC pause)
   * barely moves it.
   */
  smoothing?: number;
}

// Mean deviations added to the expectation in boundMs.
const DEVIATIONS_IN_BOUND = 2;

/**
 * A moving average and a moving mean deviation per batch size, interpolated and extrapolated
 * linearly between sizes.
 */
export function createLatencyModel({ smoothing = 0.2 }: LatencyModelOptions = {}): LatencyModel {
  if (!(smoothing > 0 && smoothing <= 1)) {
    throw new RangeError(`smoothing must be in (0, 1], got ${smoothing}`);
  }
  const averageBySize = new Map<number, number>();
  const deviationBySize = new Map<number, number>();
  const callsBySize = new Map<number, number>();
  let sizes: number[] = [];
  // Slope of the least-squares line through the averages, recomputed on each observation.
  let perItemMs = 0;

  function refit() {
    sizes = [...averageBySize.keys()].sort((a, b) => a - b);
    if (sizes.length === 1) {
      // One point cannot separate overhead from per-item cost; taking it all as per-item cost
      // over-estimates larger batches, which only makes admission cautious until they are seen.
      const [size] = sizes as [number];
      perItemMs = (averageBySize.get(size) as number) / size;
      return;
    }
    const meanSize = sizes.reduce((sum, s) => sum + s, 0) / sizes.length;
    const meanMs =
      sizes.reduce((sum, s) => sum + (averageBySize.get(s) as number), 0) / sizes.length;
    let covariance = 0;
    let variance = 0;
    for (const s of sizes) {
      covariance += (s - meanSize) * ((averageBySize.get(s) as number) - meanMs);
      variance += (s - meanSize) ** 2;
    }
    // Noise can tilt the line downwards; a larger batch is never cheaper.
    perItemMs = Math.max(0, covariance / variance);
  }

  /** A size's mean deviation: its own, else its nearest measured size's, scaled by size. */
  function deviationMs(size: number): number {
    const own = deviationBySize.get(size);
    if (own !== undefined) return own;
    const nearest = sizes.reduce((best, s) =>
      Math.abs(s - size) < Math.abs(best - size) ? s : best,
    );
    return ((deviationBySize.get(nearest) as number) * size) / nearest;
  }

  const model: LatencyModel = {
    estimateMs(size) {
      const measured = averageBySize.get(size);
      if (measured !== undefined) return measured;
      if (sizes.length === 0) return undefined;
      const above = sizes.find((s) => s > size);
      const below = sizes.findLast((s) => s < size);
      if (above !== undefined && below !== undefined) {
        const low = averageBySize.get(below) as number;
        const high = averageBySize.get(above) as number;
        return low + ((high - low) * (size - below)) / (above - below);
      }
      if (below !== undefined)
        return (averageBySize.get(below) as number) + perItemMs * (size - below);
      // Smaller than anything measured: never below zero, and with one point no cheaper than it
      // (the overhead is unknown, and under-estimating would admit work that misses its deadline).
      const smallest = sizes[0] as number;
      const atSmallest = averageBySize.get(smallest) as number;
      if (sizes.length === 1) return atSmallest;
      return Math.max(0, atSmallest - perItemMs * (smallest - size));
    },
    boundMs(size) {
      const expected = model.estimateMs(size);
      return expected === undefined
        ? undefined
        : expected + DEVIATIONS_IN_BOUND * deviationMs(size);
    },
    observe(size, ms) {
      if (!(Number.isInteger(size) && size >= 1 && ms >= 0)) return;
      const previous = averageBySize.get(size);
      const calls = (callsBySize.get(size) ?? 0) + 1;
      callsBySize.set(size, calls);
      // A size's first call pays onnxruntime's setup for a new input shape (memory planning), so
      // its second call replaces it outright; from then on the average moves smoothly.
      const replace = previous === undefined || calls === 2;
      const deviation = deviationBySize.get(size) ?? 0;
      deviationBySize.set(
        size,
        replace ? 0 : deviation + smoothing * (Math.abs(ms - previous) - deviation),
      );
      averageBySize.set(size, replace ? ms : previous + smoothing * (ms - previous));
      refit();
    },
    get measuredSizes() {
      return sizes;
    },
  };
  return model;
}
