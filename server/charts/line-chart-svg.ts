import { escapeXml, niceTicks, num } from "./svg.ts";

/** One line: its points in data units, drawn in order. */
export interface LineSeries {
  label: string;
  points: readonly { x: number; y: number }[];
  /** CSS colour; default one of a fixed palette, by position. */
  color?: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Vertical dashed lines with a label, e.g. where a burst started and ended. */
  markers?: readonly { x: number; label: string }[];
  /** Lowest value on the y axis; default 0 (memory, latency and rates start there). */
  yMin?: number;
  /** Pixels. Default 720. */
  width?: number;
  /** Pixels. Default 400. */
  height?: number;
}

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

/**
 * A line chart as a standalone SVG document (no fonts or scripts to load); the same input always
 * gives the same bytes. Axes get round ticks; the legend sits under the plot.
 */
export function lineChartSvg(series: readonly LineSeries[], options: LineChartOptions): string {
  const { title, xLabel, yLabel, markers = [], width = 720, height = 400 } = options;
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) throw new Error("a line chart needs at least one point");
  const xs = niceTicks(Math.min(...points.map((p) => p.x)), Math.max(...points.map((p) => p.x)));
  const ys = niceTicks(
    options.yMin ?? Math.min(0, ...points.map((p) => p.y)),
    Math.max(...points.map((p) => p.y)),
  );
  // niceTicks always returns two ticks at least.
  const [x0, x1, y0, y1] = [xs[0], xs.at(-1), ys[0], ys.at(-1)] as [number, number, number, number];
  const legendRows = Math.ceil(series.length / 3);
  const box = { left: 72, right: width - 24, top: 48, bottom: height - 56 - 18 * legendRows };
  const px = (x: number) => box.left + ((x - x0) / (x1 - x0)) * (box.right - box.left);
  const py = (y: number) => box.bottom - ((y - y0) / (y1 - y0)) * (box.bottom - box.top);
  const colorOf = (s: LineSeries, i: number) => s.color ?? PALETTE[i % PALETTE.length];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    ...ys.flatMap((y) => [
      `<line class="grid" x1="${box.left}" y1="${num(py(y))}" x2="${box.right}" y2="${num(py(y))}" stroke="#ddd"/>`,
      `<text x="${box.left - 8}" y="${num(py(y) + 4)}" text-anchor="end">${y}</text>`,
    ]),
    ...xs.flatMap((x) => [
      `<line class="tick" x1="${num(px(x))}" y1="${box.bottom}" x2="${num(px(x))}" y2="${box.bottom + 5}" stroke="#000"/>`,
      `<text x="${num(px(x))}" y="${box.bottom + 18}" text-anchor="middle">${x}</text>`,
    ]),
    `<line class="axis" x1="${box.left}" y1="${box.bottom}" x2="${box.right}" y2="${box.bottom}" stroke="#000"/>`,
    `<line class="axis" x1="${box.left}" y1="${box.top}" x2="${box.left}" y2="${box.bottom}" stroke="#000"/>`,
    `<text x="${(box.left + box.right) / 2}" y="${box.bottom + 36}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(16 ${(box.top + box.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
    ...markers.flatMap((m) => {
      // A label in the right half reads leftwards from its line, so it stays on the canvas.
      const right = px(m.x) > (box.left + box.right) / 2;
      return [
        `<line data-marker="${escapeXml(m.label)}" x1="${num(px(m.x))}" y1="${box.top}" x2="${num(px(m.x))}" y2="${box.bottom}" stroke="#888" stroke-dasharray="4 3"/>`,
        `<text x="${num(px(m.x) + (right ? -4 : 4))}" y="${box.top + 12}" fill="#555"${right ? ' text-anchor="end"' : ""}>${escapeXml(m.label)}</text>`,
      ];
    }),
    ...series.map(
      (s, i) =>
        `<polyline data-series="${escapeXml(s.label)}" points="${s.points.map((p) => `${num(px(p.x))},${num(py(p.y))}`).join(" ")}" fill="none" stroke="${colorOf(s, i)}" stroke-width="2"/>`,
    ),
    ...series.map((s, i) => {
      const x = box.left + (i % 3) * 220;
      const at = box.bottom + 56 + Math.floor(i / 3) * 18;
      return `<g class="legend"><line x1="${x}" y1="${at - 4}" x2="${x + 24}" y2="${at - 4}" stroke="${colorOf(s, i)}" stroke-width="2"/><text x="${x + 30}" y="${at}">${escapeXml(s.label)}</text></g>`;
    }),
    "</svg>",
  ];
  return `${parts.join("\n")}\n`;
}
