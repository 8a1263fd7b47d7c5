/**
 * Deadline arithmetic for a first-in, first-out batch queue, kept apart from the batcher's
 * promise plumbing so it can be read (and tested) as plain numbers.
 *
 * The queue stays first-in, first-out rather than earliest-deadline-first: an item admitted
 * because the work ahead of it leaves time is then never pushed back by a later arrival, so
 * admission decisions stay true. With one timeout for every request, arrival order is nearly
 * deadline order anyway.
 */

/** Expected compute milliseconds of one call of `size` items; 0 while nothing is measured. */
export type Estimate = (size: number) => number;

export interface PlannedBatch {
  /** Indexes (into the deadlines given) that cannot meet their deadline even alone at `start`. */
  unmeetable: number[];
  /** Indexes of the batch, consecutive. */
  items: number[];
  /** When it is expected to finish. */
  finish: number;
}

/**
 * The next batch from `from` on, if it starts at `start`: leading items that cannot make their
 * deadline even alone are set aside, then the longest run (at most `maxBatchSize`) whose
 * expected finish is no later than the earliest deadline in it. The longest, because a larger
 * batch costs less per item, which is what the items behind it are waiting for.
 */
export function nextBatch(
  deadlines: readonly number[],
  from: number,
  start: number,
  maxBatchSize: number,
  estimate: Estimate,
): PlannedBatch {
  const unmeetable: number[] = [];
  let first = from;
  while (first < deadlines.length && start + estimate(1) > (deadlines[first] as number)) {
    unmeetable.push(first++);
  }
  const items: number[] = [];
  let earliestDeadline = Number.POSITIVE_INFINITY;
  for (let i = first; i < deadlines.length && items.length < maxBatchSize; i++) {
    const deadline = Math.min(earliestDeadline, deadlines[i] as number);
    if (items.length > 0 && start + estimate(items.length + 1) > deadline) break;
    earliestDeadline = deadline;
    items.push(i);
  }
  return { unmeetable, items, finish: start + (items.length > 0 ? estimate(items.length) : 0) };
}

/**
 * Whether the last of `deadlines` (queue order) would run in time if every batch were formed by
 * `nextBatch` as soon as a slot frees. `slotsFreeAt` holds, per batch slot, when it is expected
 * to be free (now for an idle one). Returns the expected finish of the last item, or its
 * earliest possible finish when it would be set aside as unmeetable.
 */
export function planLast(
  deadlines: readonly number[],
  slotsFreeAt: readonly number[],
  maxBatchSize: number,
  estimate: Estimate,
): { meetsDeadline: boolean; expectedFinish: number } {
  const freeAt = [...slotsFreeAt];
  const last = deadlines.length - 1;
  let from = 0;
  for (;;) {
    const slot = freeAt.indexOf(Math.min(...freeAt));
    const start = freeAt[slot] as number;
    const batch = nextBatch(deadlines, from, start, maxBatchSize, estimate);
    if (batch.unmeetable.includes(last)) {
      return { meetsDeadline: false, expectedFinish: start + estimate(1) };
    }
    if (batch.items.includes(last)) return { meetsDeadline: true, expectedFinish: batch.finish };
    freeAt[slot] = batch.finish;
    // Not the last item, so the batch holds at least one item (set-aside ones come before it).
    from = (batch.items.at(-1) as number) + 1;
  }
}
