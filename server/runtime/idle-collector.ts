import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface IdleCollectorOptions {
  /** How often to look; a look with no request since the previous one counts as idle. */
  intervalMs: number;
  /** Memory outside V8's heap, above the lowest level seen, that is worth a collection. */
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
 * long as the service is idle (BENCHMARKS.md, "Memory after a burst"). On each idle look (no
 * request for a whole interval) with those buffers `minGrowthBytes` above the lowest level seen,
 * one full collection runs. Some of them may still be held for a while (a refused upload's
 * connection until its body is drained or cut off), so a collection that frees too little is
 * tried again, each time after twice as many idle looks. Under traffic it never runs:
 * allocation drives V8's own collections there. Returns a function that stops it.
 */
export function startIdleCollector(options: IdleCollectorOptions): () => void {
  const { intervalMs, minGrowthBytes, requestsSeen, externalBytes, collect } = options;
  let lastSeen = requestsSeen();
  let floor = externalBytes();
  // Idle looks to let pass before the next collection, and the level a collection started at.
  let skip = 0;
  let backoff = 1;
  let collectedAt: number | null = null;
  const timer = setInterval(() => {
    const seen = requestsSeen();
    const idle = seen === lastSeen;
    lastSeen = seen;
    const external = externalBytes();
    floor = Math.min(floor, external);
    if (collectedAt !== null) {
      // The sweep frees ArrayBuffers just after a collection, so its effect shows at this look.
      backoff = collectedAt - external >= minGrowthBytes ? 1 : Math.min(2 * backoff, 64);
      skip = backoff - 1;
      collectedAt = null;
    }
    if (!idle) {
      skip = 0;
      backoff = 1;
      return;
    }
    if (external - floor < minGrowthBytes) return;
    if (skip > 0) {
      skip--;
      return;
    }
    collect();
    collectedAt = external;
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
