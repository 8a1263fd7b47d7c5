import {
  type Calibration,
  createEnsembleRule,
  type EnsembleRule,
  LEGACY_THRESHOLDS,
} from "../calibration/index.ts";
import { argMax } from "../math/vector-math.ts";
import { decideRoute } from "../pipeline/route.ts";

/** CNN confidences at or above which CLIP is skipped, tried by default. */
const HIGH_THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
/** CNN confidences below which CLIP dominates the legacy ensemble, tried by default. */
const LOW_THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.65, 0.7];

/**
 * One image's full score vectors over the pack's labels (as `Classifier.scoreImages` gives them:
 * CNN log-probabilities, CLIP logits) and the index of its true class.
 */
export interface LabelledImageScores {
  label: number;
  cnn: Float32Array;
  clip: Float32Array;
}

export interface SweepCell {
  high: number;
  low: number;
  /** Share of images whose final top-1 label is right. */
  top1: number;
  /** Share of images the routing rules send to CLIP. */
  routedToClip: number;
}

export interface Sweep {
  cells: SweepCell[];
  /** The cell of the thresholds the service runs with. */
  current: SweepCell;
  /** Highest top-1; on ties, the fewest CLIP calls. */
  best: SweepCell;
}

export interface SweepOptions {
  labels: readonly string[];
  /** The pack's calibration, or null for the legacy rule. */
  calibration: Calibration | null;
  /** The thresholds the service runs with: they join the grid and are marked. */
  current: { high: number; low: number };
  /** Priority classes apply to every cell. */
  priorityClasses: ReadonlySet<string>;
  /** Default `HIGH_THRESHOLDS`. */
  highs?: readonly number[];
  /** Default `LOW_THRESHOLDS`; a calibrated pack's ensemble has no low threshold, so only the current. */
  lows?: readonly number[];
  /** Images in the evaluation, including those with no scores (they count as wrong). Default: `images.length`. */
  total?: number;
}

/**
 * Replays the service's own rule (the pack's calibration, or the legacy one) over a grid of
 * thresholds, offline, from each image's full scores: one model run prices the whole grid.
 */
export function sweepThresholds(
  images: readonly LabelledImageScores[],
  options: SweepOptions,
): Sweep {
  const { labels, calibration, current, priorityClasses, total = images.length } = options;
  const highs = options.highs ?? HIGH_THRESHOLDS;
  const lows = calibration ? [] : (options.lows ?? LOW_THRESHOLDS);
  const cells: SweepCell[] = [];
  for (const high of axis(highs, current.high)) {
    for (const low of axis(lows, current.low)) {
      if (low > high && !calibration) continue;
      const rule = createEnsembleRule(calibration, { high, low });
      let right = 0;
      let routed = 0;
      for (const image of images) {
        const answer = replay(image, rule, labels, priorityClasses);
        if (answer.routed) routed++;
        // By name, as the evaluation report counts: ImageNet lists a few labels twice.
        if (labels[answer.label] === labels[image.label]) right++;
      }
      cells.push({ high, low, top1: right / total, routedToClip: routed / total });
    }
  }
  const currentCell = cells.find((c) => c.high === current.high && c.low === current.low);
  const best = cells.reduce((a, b) =>
    b.top1 > a.top1 || (b.top1 === a.top1 && b.routedToClip < a.routedToClip) ? b : a,
  );
  return { cells, current: currentCell as SweepCell, best };
}

/** What the service answers for one image under `rule` (vlm AUTO, the pack's labels). */
export function replay(
  image: LabelledImageScores,
  rule: EnsembleRule,
  labels: readonly string[],
  priorityClasses: ReadonlySet<string>,
): { label: number; routed: boolean } {
  const { top, confidence } = rule.cnn(image.cnn);
  const cnnTop = { label: labels[top] as string, score: confidence };
  const routing = { routes: rule.routes, priorityClasses };
  const reason = decideRoute(cnnTop, { vlm: "AUTO", labels: null }, routing);
  if (reason === null) return { label: top, routed: false };
  return { label: argMax(rule.combine(image.cnn, image.clip).probabilities), routed: true };
}

/** The thresholds a service runs with: the operator's, else the pack's (calibrated or legacy). */
export function currentThresholds(
  rule: EnsembleRule,
  configured: { low?: number | undefined },
): { high: number; low: number } {
  return { high: rule.threshold, low: configured.low ?? LEGACY_THRESHOLDS.low };
}

/** The sweep as a Markdown table: rows high, columns low; each cell top-1 · routed to CLIP. */
export function sweepTable({ cells, current, best }: Sweep): string {
  const pct = (x: number, digits: number) => `${(x * 100).toFixed(digits)} %`;
  const highs = [...new Set(cells.map((c) => c.high))];
  const lows = [...new Set(cells.map((c) => c.low))].sort((a, b) => a - b);
  const text = (cell: SweepCell | undefined) => {
    if (!cell) return "–";
    const marks = (cell === current ? " ◆" : "") + (cell === best ? " ★" : "");
    return `${pct(cell.top1, 1)} · ${pct(cell.routedToClip, 1)}${marks}`;
  };
  return [
    `| high \\ low | ${lows.join(" | ")} |`,
    `|---|${lows.map(() => "---").join("|")}|`,
    ...highs.map(
      (high) =>
        `| ${high} | ${lows.map((low) => text(cells.find((c) => c.high === high && c.low === low))).join(" | ")} |`,
    ),
    "",
    "Each cell: final top-1 · share of images routed to CLIP (low ≤ high only; low shapes only the legacy rule).",
    `◆ current thresholds (high ${current.high}, low ${current.low}): ${pct(current.top1, 2)} top-1, ${pct(current.routedToClip, 1)} to CLIP.`,
    `★ best (highest top-1, then fewest CLIP calls; high ${best.high}, low ${best.low}): ${pct(best.top1, 2)} top-1, ${pct(best.routedToClip, 1)} to CLIP.`,
  ].join("\n");
}

/** The grid's values plus the service's own, so its cell is always there. */
function axis(values: readonly number[], current: number): number[] {
  return [...new Set([...values, current])].sort((a, b) => a - b);
}
