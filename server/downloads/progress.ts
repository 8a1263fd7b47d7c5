import { bar, type ProgressOutput } from "../telemetry/progress.ts";

export type { ProgressOutput } from "../telemetry/progress.ts";

export interface FileProgress {
  start(total: number | null, resumedFrom: number): void;
  update(bytes: number): void;
  finish(bytes: number): void;
}

export interface Progress {
  file(label: string): FileProgress;
  /** A line of its own (cache hits, retries), never mixed into a bar. */
  note(message: string): void;
}

export interface ProgressOptions {
  /** Milliseconds clock. Default performance.now. */
  now?: () => number;
  /** Seconds between plain lines when not on a terminal. Default 5 s. */
  lineEveryMs?: number;
  /** Redraws of the terminal bar at most this often. Default 100 ms. */
  redrawEveryMs?: number;
}

export function createProgress(out: ProgressOutput, options: ProgressOptions = {}): Progress {
  const { now = () => performance.now(), lineEveryMs = 5000, redrawEveryMs = 100 } = options;
  const tty = out.isTTY === true;
  let barShown = false;

  const clearBar = () => {
    if (barShown) out.write("\r\x1b[K");
    barShown = false;
  };

  return {
    note(message) {
      clearBar();
      out.write(`${message}\n`);
    },
    file(label) {
      let total: number | null = null;
      let resumedFrom = 0;
      let startedAt = now();
      let lastOutput = Number.NEGATIVE_INFINITY;
      const rate = (bytes: number) => {
        const seconds = Math.max((now() - startedAt) / 1000, 1e-3);
        return (bytes - resumedFrom) / seconds;
      };
      const draw = (bytes: number) => {
        const done = total ? Math.min(bytes / total, 1) : null;
        const drawn = done === null ? "" : `${bar(done)} `;
        const percent = done === null ? "" : `${(done * 100).toFixed(0).padStart(3)}% `;
        const amount = total ? `${megabytes(bytes)}/${megabytes(total)}` : megabytes(bytes);
        const line = `${label} ${drawn}${percent}${amount} ${megabytes(rate(bytes))}/s`;
        out.write(`\r${line.slice(0, Math.max((out.columns ?? 100) - 1, 20))}\x1b[K`);
        barShown = true;
      };
      const plainLine = (bytes: number) => {
        const share = total ? `${((bytes / total) * 100).toFixed(0)}% (` : "";
        const of = total ? ` of ${megabytes(total)})` : "";
        out.write(`${label}: ${share}${megabytes(bytes)}${of}, ${megabytes(rate(bytes))}/s\n`);
      };
      return {
        start(size, from) {
          total = size;
          resumedFrom = from;
          startedAt = now();
          lastOutput = startedAt;
          const resuming = from > 0 ? `, continuing at ${megabytes(from)}` : "";
          if (tty) draw(from);
          else
            out.write(
              `${label}: downloading ${size ? megabytes(size) : "(size unknown)"}${resuming}\n`,
            );
        },
        update(bytes) {
          const t = now();
          if (t - lastOutput < (tty ? redrawEveryMs : lineEveryMs)) return;
          lastOutput = t;
          if (tty) draw(bytes);
          else plainLine(bytes);
        },
        finish(bytes) {
          const seconds = (now() - startedAt) / 1000;
          clearBar();
          out.write(
            `${label}: ${megabytes(bytes - resumedFrom)} in ${seconds.toFixed(1)} s (${megabytes(rate(bytes))}/s)\n`,
          );
        },
      };
    },
  };
}

/** Decimal megabytes, as model hubs list file sizes. */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
