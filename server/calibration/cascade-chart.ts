import { lineChartSvg } from "../charts/svg-chart.ts";
import type { Calibration, SharePoint } from "./calibration-schema.ts";

/** What the chart draws: accuracy against the share of images sent to the second model. */
export interface CascadeChartInput {
  title: string;
  /** The calibrated cascade, shares increasing. */
  curve: readonly SharePoint[];
  /** Accuracy of the CNN alone (a horizontal line). */
  cnn: number;
  /** Accuracy of the second model alone (a horizontal line). */
  clip: number;
  /** The chosen operating point, marked on the curve. */
  operatingPoint: SharePoint;
  /** Pixels. Default 640. */
  width?: number;
  /** Pixels. Default 400. */
  height?: number;
}

const SERIES = [
  { key: "cnn", label: "CNN alone", color: "#1f77b4", dash: "6 4" },
  { key: "clip", label: "Second model alone", color: "#ff7f0e", dash: "2 3" },
  { key: "cascade", label: "Calibrated cascade", color: "#2ca02c", dash: "" },
] as const;

/** The chart as a standalone SVG document; the same input always gives the same bytes. */
export function cascadeChartSvg(input: CascadeChartInput): string {
  const { title, curve, cnn, clip, operatingPoint, width = 640, height = 400 } = input;
  const accuracies = [cnn, clip, ...curve.map((p) => p.accuracy)];
  const flat = (accuracy: number) => [
    { x: 0, y: accuracy },
    { x: 1, y: accuracy },
  ];
  const points = {
    cnn: flat(cnn),
    clip: flat(clip),
    cascade: curve.map((p) => ({ x: p.share, y: p.accuracy })),
  };
  return lineChartSvg({
    title,
    xLabel: "Share of images sent to the second model",
    yLabel: "Top-1 accuracy",
    series: SERIES.map((s) => ({ ...s, points: points[s.key] })),
    x: { lo: 0, hi: 1, step: 0.1 },
    y: yAxis(Math.min(...accuracies), Math.max(...accuracies)),
    formatX: (share) => `${Math.round(share * 100)} %`,
    formatY: percent,
    marker: {
      key: "operating-point",
      x: operatingPoint.share,
      y: operatingPoint.accuracy,
      label: `${percent(operatingPoint.share, 0.01)} sent, ${percent(operatingPoint.accuracy, 0.001)}`,
    },
    width,
    height,
  });
}

/**
 * The chart of a pack's calibration: in-sample by default, or on held-out images (the
 * operating point is then where the cascade actually ran on them).
 */
export function calibrationChartSvg(calibration: Calibration, { heldOut = false } = {}): string {
  const held = heldOut ? calibration.heldOut : undefined;
  if (heldOut && !held) throw new Error("the calibration has no held-out section");
  const source = held ?? {
    ...calibration.fitted,
    curve: calibration.curve,
    share: calibration.routing.share,
  };
  const title = `${calibration.data.name}: accuracy against share sent (${held ? held.method : "fitting data"})`;
  return cascadeChartSvg({
    title,
    curve: source.curve,
    cnn: source.cnn,
    clip: source.clip,
    operatingPoint: { share: source.share, accuracy: source.auto },
  });
}

/** A y range padded around the data, with a round step giving at most 8 intervals. */
function yAxis(min: number, max: number): { lo: number; hi: number; step: number } {
  const step = [0.01, 0.02, 0.05, 0.1, 0.2].find((s) => (max - min + 0.02) / s <= 8) ?? 0.25;
  const lo = Math.max(0, Math.floor((min - 0.01) / step) * step);
  const hi = Math.min(1, Math.ceil((max + 0.01) / step) * step);
  return { lo, hi: hi > lo ? hi : lo + step, step };
}

function percent(value: number, step: number): string {
  return `${(value * 100).toFixed(step < 0.01 ? 1 : 0)} %`;
}
