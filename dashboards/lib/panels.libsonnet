// Panel constructors with the dashboard's conventions: every panel queries the $datasource
// variable, has a description and a unit, and sets its own size (the grid wraps at 24 columns).
local g = import 'github.com/grafana/grafonnet/gen/grafonnet-latest/main.libsonnet';

local datasource = '${datasource}';

local common(panel, title, description, targets, unit, width, height) =
  panel.new(title)
  + panel.panelOptions.withDescription(description)
  + panel.queryOptions.withDatasource('prometheus', datasource)
  + panel.queryOptions.withTargets([
    targets[i] { refId: std.char(std.codepoint('A') + i) }
    for i in std.range(0, std.length(targets) - 1)
  ])
  + panel.standardOptions.withUnit(unit)
  + { gridPos: { w: width, h: height } };

// Green on the good side of `value`, red on the other: a dashed line on time series, the
// colour of a stat. Most thresholds are ceilings; `lowIsBad` makes one a floor.
local thresholdAt(panel, value, lowIsBad=false) =
  if value == null then {}
  else panel.standardOptions.thresholds.withSteps([
    { color: if lowIsBad then 'red' else 'green', value: null },
    { color: if lowIsBad then 'green' else 'red', value: value },
  ]);

{
  target(expr, legend='')::
    g.query.prometheus.new(datasource, expr)
    + g.query.prometheus.withLegendFormat(legend),

  // A row header and the panels under it.
  section(title, panels):: { title: title, panels: panels },

  // Sections top to bottom; in each, a full-width row header, then its panels left to right,
  // wrapping at Grafana's 24 columns. Panels bring their own width and height.
  layout(sections)::
    local place(acc, panel) =
      local wrap = acc.x + panel.gridPos.w > 24;
      local x = if wrap then 0 else acc.x;
      local y = if wrap then acc.y + acc.h else acc.y;
      {
        panels: acc.panels + [panel { gridPos+: { x: x, y: y } }],
        x: x + panel.gridPos.w,
        y: y,
        h: if wrap then panel.gridPos.h else std.max(acc.h, panel.gridPos.h),
      };
    local addSection(acc, section) =
      local header = g.panel.row.new(section.title) + g.panel.row.gridPos.withY(acc.y);
      local placed = std.foldl(place, section.panels, { panels: [], x: 0, y: acc.y + 1, h: 0 });
      { panels: acc.panels + [header] + placed.panels, y: placed.y + placed.h };
    std.foldl(addSection, sections, { panels: [], y: 0 }).panels,

  timeSeries(title, description, targets, unit='short', width=8, height=8, threshold=null, lowIsBad=false)::
    local ts = g.panel.timeSeries;
    common(ts, title, description, targets, unit, width, height)
    + ts.fieldConfig.defaults.custom.withFillOpacity(10)
    + ts.fieldConfig.defaults.custom.withShowPoints('never')
    + ts.options.tooltip.withMode('multi')
    + ts.options.legend.withDisplayMode('list')
    + ts.options.legend.withPlacement('bottom')
    + thresholdAt(ts, threshold, lowIsBad)
    + (if threshold == null then {} else ts.fieldConfig.defaults.custom.withThresholdsStyle({ mode: 'dashed' })),

  stat(title, description, targets, unit='short', width=4, height=8, threshold=null)::
    local stat = g.panel.stat;
    common(stat, title, description, targets, unit, width, height)
    + stat.options.reduceOptions.withCalcs(['lastNotNull'])
    + stat.options.withGraphMode('area')
    + stat.options.withColorMode(if threshold == null then 'none' else 'value')
    + thresholdAt(stat, threshold),

  barGauge(title, description, targets, unit='short', width=8, height=8)::
    local bar = g.panel.barGauge;
    common(bar, title, description, targets, unit, width, height)
    + bar.options.reduceOptions.withCalcs(['lastNotNull'])
    + bar.options.withOrientation('horizontal')
    + bar.options.withDisplayMode('basic'),

  // One row per series, one column per label (instant queries with format "table").
  table(title, description, targets, unit='short', width=12, height=8)::
    local table = g.panel.table;
    common(table, title, description, targets, unit, width, height)
    + table.queryOptions.withTransformations([
      { id: 'organize', options: { excludeByName: { Time: true, Value: true } } },
    ]),

  // Prometheus histogram buckets drawn as they are (no re-bucketing in the browser).
  heatmap(title, description, targets, unit='short', width=16, height=8)::
    local hm = g.panel.heatmap;
    common(hm, title, description, targets, unit, width, height)
    + hm.options.withCalculate(false)
    + hm.options.yAxis.withUnit(unit)
    + hm.options.color.withMode('scheme')
    + hm.options.color.withScheme('Oranges')
    + hm.options.withCellGap(1)
    + hm.options.rowsFrame.withLayout('le'),
}
