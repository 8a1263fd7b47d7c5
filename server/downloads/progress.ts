import {
  bar,
  createProgressLine,
  type ProgressLineOptions,
  type ProgressOutput,
} from "../telemetry/progress.ts";

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

export type ProgressOptions = ProgressLineOptions;

export function createProgress(out: ProgressOutput, options: ProgressOptions = {}): Progress {
  const line = createProgressLine(out, options);
  const { now } = line;

  return {
    note(message) {
      line.write(message);
    },
    file(label) {
      let total: number | null = null;
      let resumedFrom = 0;
      let startedAt = now();
      const rate = (bytes: number) => {
        const seconds = Math.max((now() - startedAt) / 1000, 1e-3);
        return (bytes - resumedFrom) / seconds;
      };
      const barLine = (bytes: number) => {
        const done = total ? Math.min(bytes / total, 1) : null;
        const drawn = done === null ? "" : `${bar(done)} `;
        const percent = done === null ? "" : `${(done * 100).toFixed(0).padStart(3)}% `;
        const amount = total ? `${megabytes(bytes)}/${megabytes(total)}` : megabytes(bytes);
        return `${label} ${drawn}${percent}${amount} ${megabytes(rate(bytes))}/s`;
      };
      const plainLine = (bytes: number) => {
        const share = total ? `${((bytes / total) * 100).toFixed(0)}% (` : "";
        const of = total ? ` of ${megabytes(total)})` : "";
        return `${label}: ${share}${megabytes(bytes)}${of}, ${megabytes(rate(bytes))}/s`;
      };
      return {
        start(size, from) {
          total = size;
          resumedFrom = from;
          startedAt = now();
          line.restart(startedAt);
          const resuming = from > 0 ? `, continuing at ${megabytes(from)}` : "";
          if (line.tty) line.redraw(barLine(from));
          else
            out.write(
              `${label}: downloading ${size ? megabytes(size) : "(size unknown)"}${resuming}\n`,
            );
        },
        update(bytes) {
          line.show(
            () => barLine(bytes),
            () => plainLine(bytes),
          );
        },
        finish(bytes) {
          const seconds = (now() - startedAt) / 1000;
          line.write(
            `${label}: ${megabytes(bytes - resumedFrom)} in ${seconds.toFixed(1)} s (${megabytes(rate(bytes))}/s)`,
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
