/**
 * One model call at a time for the whole process, so the call that runs has every core.
 * Waiting calls go in priority order (lower first), then arrival order: the CNN, short and on
 * every request's path, goes before a waiting CLIP batch. A running call is never interrupted.
 */
export interface ComputeGate {
  run<T>(priority: number, call: () => Promise<T>): Promise<T>;
  /** Calls waiting for the gate (not the one running). */
  readonly waiting: number;
}

export function createComputeGate(): ComputeGate {
  const queue: { priority: number; order: number; start: () => void }[] = [];
  let busy = false;
  let order = 0;
  const next = () => {
    queue.sort((a, b) => a.priority - b.priority || a.order - b.order);
    const first = queue.shift();
    if (first) first.start();
    else busy = false;
  };
  return {
    get waiting() {
      return queue.length;
    },
    async run(priority, call) {
      if (busy) {
        await new Promise<void>((start) => queue.push({ priority, order: order++, start }));
      }
      busy = true;
      try {
        return await call();
      } finally {
        next();
      }
    },
  };
}
