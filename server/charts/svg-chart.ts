/**
 * Small, dependency-free SVG charts for reports the repository commits (calibration curves,
 * benchmark figures, memory over time): a line chart and a grouped bar chart. The same input
 * always gives the same bytes, so a regenerated chart only shows in a diff when it changed.
 */

/** A value range on an axis and the step between its gridlines. */
export interface AxisRange {
  lo: number;
  hi: number;
  step: number;
}

export interface LineSeries {
  /** Written as data-series, for tests and styling. */
  key: string;
  /** The legend's text. */
  label: string;
  points: readonly { x: number; y: number }[];
  color?: string;
  /** An SVG stroke-dasharray, e.g. "6 4"; solid without. */
  dash?: string;
}

export interface LineChartInput {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Default: a round range around the data. */
  x?: AxisRange;
  y?: AxisRange;
  /** Tick labels. Default: the value with as many decimals as the step needs. */
  formatX?: (value: number, step: number) => string;
  formatY?: (value: number, step: number) => string;
  /** One marked point (written as data-marker), with a label beside it. */
  marker?: { key: string; x: number; y: number; label: string };
  /** Dashed vertical lines with a label at the top, e.g. where a burst started. */
  verticals?: readonly { x: number; label: string }[];
  /** Pixels. Default 640 × 400. */
  width?: number;
  height?: number;
}

export interface BarChartInput {
  title: string;
  yLabel: string;
  /** One group of bars per category, e.g. per configuration. */
  categories: readonly string[];
  /** One bar per category for each series (its values in category order). */
  series: readonly { key: string; label: string; values: readonly number[]; color?: string }[];
  /** Value labels on the bars and ticks. Default: the number with up to 1 decimal. */
  format?: (value: number) => string;
  width?: number;
  height?: number;
}

export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

/** A round range around [min, max] with at most `intervals` gridline intervals. */
export function niceAxis(min: number, max: number, intervals = 8, floorAtZero = false): AxisRange {
  const lo0 = floorAtZero ? Math.min(0, min) : min;
  const span = max - lo0 || Math.abs(max) || 1;
  const magnitude = 10 ** Math.floor(Math.log10(span / intervals));
  const step =
    [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => span / s <= intervals) ??
    10 * magnitude;
  const lo = Math.floor(lo0 / step) * step;
  const hi = Math.ceil(max / step) * step;
  return { lo, hi: hi > lo ? hi : lo + step, step };
}

/** A line chart as a standalone SVG document. */
export function lineChartSvg(input: LineChartInput): string {
  const { title, series, marker, width = 640, height = 400 } = input;
  const all = series.flatMap((s) => s.points);
  const xs = [...all.map((p) => p.x), ...(input.verticals ?? []).map((v) => v.x)];
  const x = input.x ?? niceAxis(Math.min(...xs), Math.max(...xs));
  const y = input.y ?? niceAxis(Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y)));
  const formatX = input.formatX ?? plain;
  const formatY = input.formatY ?? plain;
  const box = { left: 64, right: width - 24, top: 48, bottom: height - 72 };
  const px = (v: number) => box.left + ((v - x.lo) / (x.hi - x.lo)) * (box.right - box.left);
  const py = (v: number) => box.bottom - ((v - y.lo) / (y.hi - y.lo)) * (box.bottom - box.top);
  const colorOf = (s: LineSeries, i: number) => s.color ?? PALETTE[i % PALETTE.length];
  const dashOf = (s: LineSeries) => (s.dash ? ` stroke-dasharray="${s.dash}"` : "");
  return document(width, height, title, [
    ...axes(box),
    ...ticks(x).flatMap((v) => [
      `<line class="tick" x1="${num(px(v))}" y1="${box.bottom}" x2="${num(px(v))}" y2="${box.bottom + 5}" stroke="#000"/>`,
      `<text x="${num(px(v))}" y="${box.bottom + 18}" text-anchor="middle">${escapeXml(formatX(v, x.step))}</text>`,
    ]),
    ...ticks(y).flatMap((v) => [
      `<line class="tick" x1="${box.left - 5}" y1="${num(py(v))}" x2="${box.right}" y2="${num(py(v))}" stroke="#ddd"/>`,
      `<text x="${box.left - 8}" y="${num(py(v) + 4)}" text-anchor="end">${escapeXml(formatY(v, y.step))}</text>`,
    ]),
    ...axisLabels(box, input.xLabel, input.yLabel),
    ...series.map(
      (s, i) =>
        `<polyline data-series="${escapeXml(s.key)}" points="${s.points.map((p) => `${num(px(p.x))},${num(py(p.y))}`).join(" ")}" fill="none" stroke="${colorOf(s, i)}" stroke-width="2"${dashOf(s)}/>`,
    ),
    ...(input.verticals ?? []).flatMap((v) => [
      `<line class="vertical" x1="${num(px(v.x))}" y1="${box.top}" x2="${num(px(v.x))}" y2="${box.bottom}" stroke="#555" stroke-dasharray="4 4"/>`,
      // Labels near the right edge go to the line's left, so they stay inside the chart.
      px(v.x) > box.left + 0.7 * (box.right - box.left)
        ? `<text x="${num(px(v.x) - 4)}" y="${box.top + 12}" text-anchor="end">${escapeXml(v.label)}</text>`
        : `<text x="${num(px(v.x) + 4)}" y="${box.top + 12}">${escapeXml(v.label)}</text>`,
    ]),
    ...(marker
      ? [
          `<circle data-marker="${escapeXml(marker.key)}" cx="${num(px(marker.x))}" cy="${num(py(marker.y))}" r="5" fill="#d62728"/>`,
          `<text x="${num(px(marker.x) + 8)}" y="${num(py(marker.y) - 8)}">${escapeXml(marker.label)}</text>`,
        ]
      : []),
    ...legend(
      height,
      box.left,
      series.map((s, i) => ({
        label: s.label,
        swatch: `<line x1="0" y1="-4" x2="24" y2="-4" stroke="${colorOf(s, i)}" stroke-width="2"${dashOf(s)}/>`,
      })),
    ),
  ]);
}

/** A grouped bar chart (one group per category, one bar per series) as an SVG document. */
export function barChartSvg(input: BarChartInput): string {
  const { title, categories, series, width = 640, height = 400 } = input;
  const format = input.format ?? ((v: number) => plain(v, 0.1));
  const box = { left: 64, right: width - 24, top: 48, bottom: height - 72 };
  const y = niceAxis(0, Math.max(...series.flatMap((s) => s.values), 0), 6, true);
  const py = (v: number) => box.bottom - ((v - y.lo) / (y.hi - y.lo)) * (box.bottom - box.top);
  const groupWidth = (box.right - box.left) / Math.max(categories.length, 1);
  const barWidth = (groupWidth * 0.8) / Math.max(series.length, 1);
  const colorOf = (i: number) => series[i]?.color ?? PALETTE[i % PALETTE.length];
  return document(width, height, title, [
    ...axes(box),
    ...ticks(y).flatMap((v) => [
      `<line class="tick" x1="${box.left - 5}" y1="${num(py(v))}" x2="${box.right}" y2="${num(py(v))}" stroke="#ddd"/>`,
      `<text x="${box.left - 8}" y="${num(py(v) + 4)}" text-anchor="end">${escapeXml(input.format ? input.format(v) : plain(v, y.step))}</text>`,
    ]),
    ...categories.map(
      (category, c) =>
        `<text x="${num(box.left + (c + 0.5) * groupWidth)}" y="${box.bottom + 18}" text-anchor="middle">${escapeXml(category)}</text>`,
    ),
    ...axisLabels(box, "", input.yLabel),
    ...series.flatMap((s, i) =>
      s.values.map((value, c) => {
        const x = box.left + c * groupWidth + groupWidth * 0.1 + i * barWidth;
        const top = py(value);
        return [
          `<rect data-series="${escapeXml(s.key)}" data-category="${escapeXml(categories[c] ?? "")}" data-value="${value}" x="${num(x)}" y="${num(top)}" width="${num(barWidth - 2)}" height="${num(box.bottom - top)}" fill="${colorOf(i)}"/>`,
          `<text x="${num(x + (barWidth - 2) / 2)}" y="${num(top - 4)}" text-anchor="middle" font-size="10">${escapeXml(format(value))}</text>`,
        ].join("\n");
      }),
    ),
    ...legend(
      height,
      box.left,
      series.map((s, i) => ({
        label: s.label,
        swatch: `<rect x="0" y="-10" width="24" height="10" fill="${colorOf(i)}"/>`,
      })),
    ),
  ]);
}

type Box = { left: number; right: number; top: number; bottom: number };

function document(width: number, height: number, title: string, body: string[]): string {
  return `${[
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    ...body,
    "</svg>",
  ].join("\n")}\n`;
}

function axes(box: Box): string[] {
  return [
    `<line class="axis" x1="${box.left}" y1="${box.bottom}" x2="${box.right}" y2="${box.bottom}" stroke="#000"/>`,
    `<line class="axis" x1="${box.left}" y1="${box.top}" x2="${box.left}" y2="${box.bottom}" stroke="#000"/>`,
  ];
}

function axisLabels(box: Box, xLabel: string, yLabel: string): string[] {
  return [
    ...(xLabel
      ? [
          `<text x="${(box.left + box.right) / 2}" y="${box.bottom + 36}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
        ]
      : []),
    `<text transform="translate(16 ${(box.top + box.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  ];
}

function legend(height: number, left: number, items: { label: string; swatch: string }[]) {
  const at = height - 18;
  return items.map(
    (item, i) =>
      `<g class="legend" transform="translate(${left + i * 180} ${at})">${item.swatch}<text x="30" y="0">${escapeXml(item.label)}</text></g>`,
  );
}

function ticks({ lo, hi, step }: AxisRange): number[] {
  const count = Math.round((hi - lo) / step);
  return Array.from({ length: count + 1 }, (_, i) => lo + i * step);
}

function num(value: number): string {
  return value.toFixed(1);
}

/** A tick value with as many decimals as its step needs. */
function plain(value: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(Math.ceil(-Math.log10(step)), 6);
  return value.toFixed(decimals);
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
