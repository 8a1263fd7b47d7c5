import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface IdleCollectorOptions {
  /** How often to look; a look with no request since the previous one counts as idle. */
  intervalMs: number;
  /** Growth of memory outside V8's heap since the last collection that is worth one. */
  minGrowthBytes: number;
  /** Requests that do work seen so far (a running count; scrapes and health checks need not count). */
  requestsSeen: () => number;
  /** Bytes held outside V8's heap now: Buffers and other ArrayBuffers. */
  externalBytes: () => number;
  /** A full garbage collection. */
  collect: () => void;
}

/**
 * Returns a burst's memory once the service goes quiet. V8 collects when JavaScript allocates,
 * so after a burst of large uploads ends nothing triggers a collection: the burst's buffers
 * (off V8's heap, hundreds of MiB) stay uncollected and RSS stays at the burst's level for as
 * long as the service is idle (BENCHMARKS.md, "Memory after a burst"). When a whole interval
 * passes with no request that does work and those buffers have grown by `minGrowthBytes` since the last
 * collection, one full collection runs. Under traffic it never does: allocation drives V8's
 * own collections there. Returns a function that stops it.
 */
export function startIdleCollector(options: IdleCollectorOptions): () => void {
  const { intervalMs, minGrowthBytes, requestsSeen, externalBytes, collect } = options;
  let lastSeen = requestsSeen();
  let afterLastCollection = externalBytes();
  const timer = setInterval(() => {
    const seen = requestsSeen();
    const idle = seen === lastSeen;
    lastSeen = seen;
    const external = externalBytes();
    // Below the last level, memory was returned without us: the baseline follows it down.
    afterLastCollection = Math.min(afterLastCollection, external);
    if (!idle || external - afterLastCollection < minGrowthBytes) return;
    collect();
    // The collection's sweep frees ArrayBuffers a moment later: measured at the next look.
    afterLastCollection = Number.POSITIVE_INFINITY;
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** V8's full collection, made callable without starting node with --expose-gc. */
export function fullCollection(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString("--expose-gc");
  // A new context sees the flag's `gc` global; the one made at start-up does not.
  return runInNewContext("gc") as () => void;
}
