/** Where progress goes: a terminal gets a bar redrawn in place, anything else plain lines. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CountProgressOptions {
  /** Items of what, e.g. "images" or "prompts". */
  unit: string;
  /** Milliseconds clock. Default performance.now. */
  now?: () => number;
  /** Between plain lines when not on a terminal (CI logs, files). Default 5000 ms. */
  lineEveryMs?: number;
  /** Redraws of the terminal bar at most this often. Default 100 ms. */
  redrawEveryMs?: number;
}

export interface CountProgress {
  /** `done` items so far (a running count, not an increment). */
  update(done: number): void;
  /** Clears the bar and writes the closing line: how many, how long, how fast. */
  finish(done?: number): void;
}

const BAR_WIDTH = 24;

/** `[######------------------]` for a share in [0, 1]. */
export function bar(share: number, width = BAR_WIDTH): string {
  const filled = Math.round(Math.min(Math.max(share, 0), 1) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/**
 * Progress of a counted task (images scored, prompts embedded): on a terminal a bar with the
 * count, rate and time left, redrawn in place; elsewhere one plain line every few seconds, so a
 * log shows the task is alive without a flood. `total` null: a count without a bar.
 */
export function createCountProgress(
  out: ProgressOutput,
  label: string,
  total: number | null,
  options: CountProgressOptions,
): CountProgress {
  const { unit, now = () => performance.now(), lineEveryMs = 5000, redrawEveryMs = 100 } = options;
  const tty = out.isTTY === true;
  const startedAt = now();
  let lastOutput = startedAt;
  let latest = 0;
  let barShown = false;
  const perSecond = (done: number) => done / Math.max((now() - startedAt) / 1000, 1e-3);
  const of = (done: number) => (total === null ? `${done} ${unit}` : `${done}/${total} ${unit}`);

  function draw(done: number) {
    const rate = perSecond(done);
    const share = total ? done / total : null;
    const left = total && rate > 0 ? ` ${Math.ceil((total - done) / rate)} s left` : "";
    const line = [
      label,
      share === null ? "" : ` ${bar(share)} ${(share * 100).toFixed(0).padStart(3)}%`,
      ` ${of(done)} ${rate.toFixed(1)}/s${left}`,
    ].join("");
    out.write(`\r${line.slice(0, Math.max((out.columns ?? 100) - 1, 20))}\x1b[K`);
    barShown = true;
  }

  function plainLine(done: number) {
    const share = total ? ` (${((done / total) * 100).toFixed(0)}%)` : "";
    out.write(`${label}: ${of(done)}${share}, ${perSecond(done).toFixed(1)}/s\n`);
  }

  return {
    update(done) {
      latest = done;
      const t = now();
      if (t - lastOutput < (tty ? redrawEveryMs : lineEveryMs)) return;
      lastOutput = t;
      if (tty) draw(done);
      else plainLine(done);
    },
    finish(done = latest) {
      if (barShown) out.write("\r\x1b[K");
      barShown = false;
      const seconds = (now() - startedAt) / 1000;
      out.write(
        `${label}: ${done} ${unit} in ${seconds.toFixed(1)} s (${perSecond(done).toFixed(1)}/s)\n`,
      );
    },
  };
}
