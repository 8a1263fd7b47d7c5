import { cnnWeight, ensemble } from "../pipeline/ensemble.ts";
import { decideRoute, type RoutingRules } from "../pipeline/route.ts";
import { topK } from "../pipeline/top-k.ts";
import type { Classification, LabelScore } from "../pipeline/types.ts";

/** CNN confidences at or above which CLIP is skipped, tried by default. */
export const HIGH_THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
/** CNN confidences below which CLIP dominates the ensemble, tried by default. */
export const LOW_THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.65, 0.7];

/** One image's full CNN and CLIP distributions over the pack's labels, in label order. */
export interface ImageScores {
  label: string;
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
  /** The service's rules: their thresholds join the grid and are marked; priority classes apply to every cell. */
  rules: RoutingRules;
  /** Default `HIGH_THRESHOLDS`. */
  highs?: readonly number[];
  /** Default `LOW_THRESHOLDS`. */
  lows?: readonly number[];
  /** Images in the evaluation, including those with no scores (they count as wrong). Default: `images.length`. */
  total?: number;
}

/**
 * Replays the service's own routing and ensemble over every (high, low) pair with low ≤ high,
 * offline, from each image's full distributions: one model run prices the whole grid.
 */
export function sweepThresholds(
  images: readonly ImageScores[],
  labels: readonly string[],
  { rules, highs = HIGH_THRESHOLDS, lows = LOW_THRESHOLDS, total = images.length }: SweepOptions,
): Sweep {
  const cnnTops = images.map((image) => topK(image.cnn, labels, 1)[0] as LabelScore);
  const cells: SweepCell[] = [];
  for (const high of axis(highs, rules.high)) {
    for (const low of axis(lows, rules.low)) {
      if (low > high) continue;
      let right = 0;
      let routed = 0;
      images.forEach((image, i) => {
        const answer = replay(image, cnnTops[i] as LabelScore, labels, { ...rules, high, low });
        if (answer.routed) routed++;
        if (answer.label === image.label) right++;
      });
      cells.push({ high, low, top1: right / total, routedToClip: routed / total });
    }
  }
  const current = cells.find((c) => c.high === rules.high && c.low === rules.low) as SweepCell;
  const best = cells.reduce((a, b) =>
    b.top1 > a.top1 || (b.top1 === a.top1 && b.routedToClip < a.routedToClip) ? b : a,
  );
  return { cells, current, best };
}

/** What the service answers for one image under `rules` (vlm AUTO, the pack's labels). */
export function replay(
  image: ImageScores,
  cnnTop: LabelScore,
  labels: readonly string[],
  rules: RoutingRules,
): { label: string; routed: boolean } {
  const reason = decideRoute(cnnTop, { vlm: "AUTO", labels: null }, rules);
  if (reason === null) return { label: cnnTop.label, routed: false };
  const scores = ensemble(image.cnn, image.clip, cnnWeight(cnnTop.score, rules.low));
  return { label: (topK(scores, labels, 1)[0] as LabelScore).label, routed: true };
}

/**
 * The full distributions behind a CLIP-forced answer that lists every label (topK = label
 * count), or null when CLIP did not answer. Answers name labels, not indices, so a label the
 * pack lists twice (ImageNet's "sunglasses", "missile") is paired up again through the
 * ensemble's scores, which fix which CNN score went with which CLIP score.
 */
export function fullScores(
  answer: Classification,
  labels: readonly string[],
  label: string,
): ImageScores | null {
  const weight = answer.cnnWeight;
  if (!answer.vlm || weight === null) return null;
  const lists = [answer.cnn.predictions, answer.vlm.predictions, answer.predictions];
  if (lists.some((list) => list.length !== labels.length)) {
    throw new Error("the answer does not score every label: ask for topK = the label count");
  }
  const [cnnBy, clipBy, finalBy] = lists.map(scoresByLabel) as [
    ScoresByLabel,
    ScoresByLabel,
    ScoresByLabel,
  ];
  const cnn = new Float32Array(labels.length);
  const clip = new Float32Array(labels.length);
  for (const [name, at] of indicesByLabel(labels)) {
    const c = cnnBy.get(name) ?? [];
    const v = clipBy.get(name) ?? [];
    const order = at.length === 1 ? [0] : pairing(c, v, finalBy.get(name) ?? [], weight);
    at.forEach((index, k) => {
      cnn[index] = c[k] as number;
      clip[index] = v[order[k] as number] as number;
    });
  }
  return { label, cnn, clip };
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
    "Each cell: final top-1 · share of images routed to CLIP (low ≤ high only).",
    `◆ current thresholds (high ${current.high}, low ${current.low}): ${pct(current.top1, 2)} top-1, ${pct(current.routedToClip, 1)} to CLIP.`,
    `★ best (highest top-1, then fewest CLIP calls; high ${best.high}, low ${best.low}): ${pct(best.top1, 2)} top-1, ${pct(best.routedToClip, 1)} to CLIP.`,
  ].join("\n");
}

type ScoresByLabel = Map<string, number[]>;

/** Each label's scores in the order listed (best first). */
function scoresByLabel(predictions: readonly LabelScore[]): ScoresByLabel {
  const out: ScoresByLabel = new Map();
  for (const { label, score } of predictions) out.set(label, [...(out.get(label) ?? []), score]);
  return out;
}

function indicesByLabel(labels: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  labels.forEach((label, i) => {
    out.set(label, [...(out.get(label) ?? []), i]);
  });
  return out;
}

/** Which CLIP score goes with each CNN score of a repeated label: the one the ensemble saw. */
function pairing(cnn: number[], clip: number[], final: number[], weight: number): number[] {
  const want = [...final].sort((a, b) => a - b).join();
  for (const order of permutations(cnn.length)) {
    const paired = Float32Array.from(order, (k) => clip[k] as number);
    const got = ensemble(Float32Array.from(cnn), paired, weight).sort();
    if (got.join() === want) return order;
  }
  throw new Error("cannot pair the CNN and CLIP scores of a repeated label");
}

function permutations(n: number): number[][] {
  if (n > 6) throw new Error(`a label repeated ${n} times`);
  if (n <= 1) return [Array.from({ length: n }, (_, i) => i)];
  return permutations(n - 1).flatMap((rest) =>
    Array.from({ length: n }, (_, at) => [...rest.slice(0, at), n - 1, ...rest.slice(at)]),
  );
}

/** The grid's values plus the service's own, so its cell is always there. */
function axis(values: readonly number[], current: number): number[] {
  return [...new Set([...values, current])].sort((a, b) => a - b);
}
