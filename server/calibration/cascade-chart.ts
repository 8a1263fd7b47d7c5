import { escapeXml, num } from "../charts/svg.ts";
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
  const box = { left: 64, right: width - 24, top: 48, bottom: height - 72 };
  const accuracies = [cnn, clip, ...curve.map((p) => p.accuracy)];
  const y = yAxis(Math.min(...accuracies), Math.max(...accuracies));
  const px = (share: number) => box.left + share * (box.right - box.left);
  const py = (acc: number) => box.bottom - ((acc - y.lo) / (y.hi - y.lo)) * (box.bottom - box.top);
  const pt = (p: SharePoint) => `${num(px(p.share))},${num(py(p.accuracy))}`;
  const lines: Record<(typeof SERIES)[number]["key"], readonly SharePoint[]> = {
    cnn: [
      { share: 0, accuracy: cnn },
      { share: 1, accuracy: cnn },
    ],
    clip: [
      { share: 0, accuracy: clip },
      { share: 1, accuracy: clip },
    ],
    cascade: curve,
  };
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    `<line class="axis" x1="${box.left}" y1="${box.bottom}" x2="${box.right}" y2="${box.bottom}" stroke="#000"/>`,
    `<line class="axis" x1="${box.left}" y1="${box.top}" x2="${box.left}" y2="${box.bottom}" stroke="#000"/>`,
    ...range(0, 1, 0.1).flatMap((share) => [
      `<line class="tick" x1="${num(px(share))}" y1="${box.bottom}" x2="${num(px(share))}" y2="${box.bottom + 5}" stroke="#000"/>`,
      `<text x="${num(px(share))}" y="${box.bottom + 18}" text-anchor="middle">${Math.round(share * 100)} %</text>`,
    ]),
    ...range(y.lo, y.hi, y.step).flatMap((acc) => [
      `<line class="tick" x1="${box.left - 5}" y1="${num(py(acc))}" x2="${box.right}" y2="${num(py(acc))}" stroke="#ddd"/>`,
      `<text x="${box.left - 8}" y="${num(py(acc) + 4)}" text-anchor="end">${percent(acc, y.step)}</text>`,
    ]),
    `<text x="${(box.left + box.right) / 2}" y="${box.bottom + 36}" text-anchor="middle">Share of images sent to the second model</text>`,
    `<text transform="translate(16 ${(box.top + box.bottom) / 2}) rotate(-90)" text-anchor="middle">Top-1 accuracy</text>`,
    ...SERIES.map(
      (s) =>
        `<polyline data-series="${s.key}" points="${lines[s.key].map(pt).join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
    ),
    `<circle data-marker="operating-point" cx="${num(px(operatingPoint.share))}" cy="${num(py(operatingPoint.accuracy))}" r="5" fill="#d62728"/>`,
    `<text x="${num(px(operatingPoint.share) + 8)}" y="${num(py(operatingPoint.accuracy) - 8)}">${percent(operatingPoint.share, 0.01)} sent, ${percent(operatingPoint.accuracy, 0.001)}</text>`,
    ...SERIES.map((s, i) => {
      const x = box.left + i * 180;
      const at = height - 18;
      return `<g class="legend"><line x1="${x}" y1="${at - 4}" x2="${x + 24}" y2="${at - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/><text x="${x + 30}" y="${at}">${s.label}</text></g>`;
    }),
    "</svg>",
  ];
  return `${parts.join("\n")}\n`;
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

function range(from: number, to: number, step: number): number[] {
  const count = Math.round((to - from) / step);
  return Array.from({ length: count + 1 }, (_, i) => from + i * step);
}

function percent(value: number, step: number): string {
  return `${(value * 100).toFixed(step < 0.01 ? 1 : 0)} %`;
}
