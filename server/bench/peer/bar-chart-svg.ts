/** One bar: a label on the left, its value at the end of the bar. */
export interface Bar {
  label: string;
  value: number;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * A horizontal bar chart as a standalone SVG document (no fonts or scripts to load), with an
 * optional dashed reference line (e.g. ratio 1).
 */
export function barChartSvg(
  bars: readonly Bar[],
  {
    title = "",
    subtitle = "",
    unit = "",
    reference = null as number | null,
    labelWidth = 320,
    barWidth = 420,
  } = {},
): string {
  const rowHeight = 26;
  const top = 56;
  const max = Math.max(...bars.map((b) => b.value), reference ?? 0, Number.MIN_VALUE);
  const x = (value: number) => labelWidth + (Math.max(0, value) / max) * barWidth;
  const width = labelWidth + barWidth + 90;
  const height = top + bars.length * rowHeight + 16;
  const rows = bars.map((bar, i) => {
    const y = top + i * rowHeight;
    return [
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${(x(bar.value) - labelWidth).toFixed(1)}" height="${rowHeight - 8}" fill="#4c78a8"/>`,
      `<text x="${(x(bar.value) + 6).toFixed(1)}" y="${y + 17}">${escapeXml(`${bar.value}${unit}`)}</text>`,
    ].join("");
  });
  const line =
    reference === null
      ? ""
      : `<line x1="${x(reference).toFixed(1)}" y1="${top}" x2="${x(reference).toFixed(1)}" y2="${height - 12}" stroke="#888" stroke-dasharray="4 3"/>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="12" y="42" fill="#555">${escapeXml(subtitle)}</text>`,
    ...rows,
    line,
    "</svg>",
    "",
  ].join("\n");
}
