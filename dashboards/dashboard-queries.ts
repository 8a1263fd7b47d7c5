import { readFileSync } from "node:fs";

interface Panel {
  title: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: Panel[];
}

interface RenderedDashboard {
  panels: Panel[];
  annotations?: { list: { name: string; expr?: string }[] };
  templating?: { list: { name: string; type: string; query?: string }[] };
}

/** One PromQL query of a rendered dashboard and where it sits ("panel [A]", "annotation …"). */
export interface DashboardQuery {
  where: string;
  expr: string;
}

/**
 * Every PromQL query a rendered dashboard sends: its panels' targets (rows' nested panels too),
 * its annotations and the selectors of its label_values() variables.
 */
export function dashboardQueries(path: string): DashboardQuery[] {
  const dashboard = JSON.parse(readFileSync(path, "utf8")) as RenderedDashboard;
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const targets = panels.flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({
      where: `${panel.title} [${t.refId}]`,
      expr: t.expr ?? "",
    })),
  );
  const annotations = (dashboard.annotations?.list ?? []).map((a) => ({
    where: `annotation ${a.name}`,
    expr: a.expr ?? "",
  }));
  const variables = (dashboard.templating?.list ?? [])
    .filter((variable) => variable.type === "query")
    .map((variable) => ({
      where: `variable ${variable.name}`,
      expr: /^label_values\((.+), \w+\)$/.exec(variable.query ?? "")?.[1] ?? "",
    }));
  return [...targets, ...annotations, ...variables].filter((query) => query.expr !== "");
}
