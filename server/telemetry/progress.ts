/** Where progress goes: a terminal gets a bar redrawn in place, anything else plain lines. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CountProgressOptions extends ProgressLineOptions {
  /** Items of what, e.g. "images" or "prompts". */
  unit: string;
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

export interface ProgressLineOptions {
  /** Milliseconds clock. Default performance.now. */
  now?: () => number;
  /** Between plain lines when not on a terminal (CI logs, files). Default 5000 ms. */
  lineEveryMs?: number;
  /** Redraws of the terminal bar at most this often. Default 100 ms. */
  redrawEveryMs?: number;
}

/**
 * The one line a progress report keeps current: on a terminal redrawn in place (cut to its
 * width) at most every `redrawEveryMs`, elsewhere written as a plain line at most every
 * `lineEveryMs`. Both renderers of progress (counted tasks, file downloads) write through it.
 */
export function createProgressLine(out: ProgressOutput, options: ProgressLineOptions = {}) {
  const { now = () => performance.now(), lineEveryMs = 5000, redrawEveryMs = 100 } = options;
  const tty = out.isTTY === true;
  let lastOutput = now();
  let barShown = false;
  const redraw = (line: string) => {
    out.write(`\r${line.slice(0, Math.max((out.columns ?? 100) - 1, 20))}\x1b[K`);
    barShown = true;
  };
  return {
    tty,
    now,
    /** Restarts the throttle, e.g. when a new file starts. */
    restart(at = now()) {
      lastOutput = at;
    },
    /** The terminal's bar line, or else the plain line, if it is time for one. */
    show(barLine: () => string, plainLine: () => string) {
      const t = now();
      if (t - lastOutput < (tty ? redrawEveryMs : lineEveryMs)) return;
      lastOutput = t;
      if (tty) redraw(barLine());
      else out.write(`${plainLine()}\n`);
    },
    /** The bar at once, throttle or not (a start). */
    redraw,
    /** A line of its own: the bar, if shown, is cleared first. */
    write(line: string) {
      if (barShown) out.write("\r\x1b[K");
      barShown = false;
      out.write(`${line}\n`);
    },
  };
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
  const { unit } = options;
  const line = createProgressLine(out, options);
  const startedAt = line.now();
  let latest = 0;
  const perSecond = (done: number) => done / Math.max((line.now() - startedAt) / 1000, 1e-3);
  const of = (done: number) => (total === null ? `${done} ${unit}` : `${done}/${total} ${unit}`);

  function barLine(done: number) {
    const rate = perSecond(done);
    const share = total ? done / total : null;
    const left = total && rate > 0 ? ` ${Math.ceil((total - done) / rate)} s left` : "";
    return [
      label,
      share === null ? "" : ` ${bar(share)} ${(share * 100).toFixed(0).padStart(3)}%`,
      ` ${of(done)} ${rate.toFixed(1)}/s${left}`,
    ].join("");
  }

  function plainLine(done: number) {
    const share = total ? ` (${((done / total) * 100).toFixed(0)}%)` : "";
    return `${label}: ${of(done)}${share}, ${perSecond(done).toFixed(1)}/s`;
  }

  return {
    update(done) {
      latest = done;
      line.show(
        () => barLine(done),
        () => plainLine(done),
      );
    },
    finish(done = latest) {
      const seconds = (line.now() - startedAt) / 1000;
      line.write(
        `${label}: ${done} ${unit} in ${seconds.toFixed(1)} s (${perSecond(done).toFixed(1)}/s)`,
      );
    },
  };
}
