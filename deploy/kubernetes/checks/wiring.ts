import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { METRICS } from "../../../server/telemetry/metric-names.ts";
import { metricNamesIn } from "../../../server/testing/prometheus.ts";
import { dashboardFiles, ruleGroups } from "../generate.ts";
import {
  type KubeObject,
  matches,
  objectName,
  type Problem,
  podLabels,
  problem,
} from "./render.ts";

/** Services, budgets and network policies select the pods they mean. */
export function selectorProblems(objects: KubeObject[]): Problem[] {
  const found: Problem[] = [];
  const deployments = objects.filter((o) => o.kind === "Deployment");
  const selects = (selector: Record<string, string> | undefined) =>
    deployments.filter((d) => matches(selector, podLabels(d)));
  const api = deployments.find((d) => d.metadata.name === "vision-classify");

  for (const service of objects.filter((o) => o.kind === "Service")) {
    const [target] = selects(service.spec.selector);
    if (!target) found.push(problem(service, "spec.selector", "selects no pods"));
  }
  for (const pdb of objects.filter((o) => o.kind === "PodDisruptionBudget"))
    if (selects(pdb.spec.selector?.matchLabels)[0] !== api)
      found.push(problem(pdb, "spec.selector.matchLabels", "must select the API's pods"));

  for (const policy of objects.filter((o) => o.kind === "NetworkPolicy")) {
    const [target] = selects(policy.spec.podSelector?.matchLabels);
    if (!target) {
      found.push(problem(policy, "spec.podSelector.matchLabels", "selects no pods"));
      continue;
    }
    const ports = new Set(
      target.spec.template.spec.containers.flatMap((c: { ports?: { name: string }[] }) =>
        (c.ports ?? []).map((p) => p.name),
      ),
    );
    (policy.spec.ingress ?? []).forEach(
      (
        rule: {
          from?: {
            podSelector?: { matchLabels?: Record<string, string> };
            namespaceSelector?: unknown;
          }[];
          ports?: { port: string | number }[];
        },
        i: number,
      ) => {
        (rule.ports ?? []).forEach((port, j) => {
          if (typeof port.port === "string" && !ports.has(port.port))
            found.push(
              problem(
                policy,
                `spec.ingress[${i}].ports[${j}].port`,
                `${port.port} is no port of ${objectName(target)}`,
              ),
            );
        });
        (rule.from ?? []).forEach((peer, j) => {
          // A peer in this namespace (no namespaceSelector) must be pods that exist here.
          if (!peer.namespaceSelector && selects(peer.podSelector?.matchLabels).length === 0)
            found.push(
              problem(
                policy,
                `spec.ingress[${i}].from[${j}].podSelector.matchLabels`,
                "selects no pods",
              ),
            );
        });
      },
    );
  }
  // Redis, when it runs here, must admit exactly the API.
  const redis = deployments.find((d) => d.metadata.name === "vision-classify-redis");
  if (redis && api) {
    const policies = objects.filter(
      (o) =>
        o.kind === "NetworkPolicy" && matches(o.spec.podSelector?.matchLabels, podLabels(redis)),
    );
    const peers = policies.flatMap((p) =>
      (p.spec.ingress ?? []).flatMap((r: { from?: unknown[] }) => r.from ?? [{}]),
    );
    if (policies.length === 0)
      found.push(problem(redis, "metadata.labels", "no NetworkPolicy selects Redis"));
    else if (
      !peers.every(
        (peer: {
          podSelector?: { matchLabels?: Record<string, string> };
          namespaceSelector?: unknown;
        }) => !peer.namespaceSelector && matches(peer.podSelector?.matchLabels, podLabels(api)),
      )
    )
      found.push(
        problem(policies[0] as KubeObject, "spec.ingress", "Redis must admit only the API's pods"),
      );
  }
  return found;
}

const scaleTargets = (objects: KubeObject[]) =>
  objects.filter((o) => o.kind === "Deployment").map((d) => d.metadata.name);

/** Monitoring and autoscaling objects match their sources and targets. */
export function monitoringProblems(objects: KubeObject[]): Problem[] {
  const found: Problem[] = [];
  const known = new Set<string>([...Object.values(METRICS), "up"]);
  for (const rule of objects.filter((o) => o.kind === "PrometheusRule"))
    if (!isDeepStrictEqual(rule.spec.groups, ruleGroups()))
      found.push(
        problem(rule, "spec.groups", "differs from monitoring/rules (npm run deploy:generate)"),
      );
  // The dashboards ship with the Prometheus Operator objects (components/prometheus-operator).
  const operator = objects.some((o) => o.kind === "ServiceMonitor");
  const dashboards = objects.filter(
    (o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1",
  );
  for (const file of operator ? dashboardFiles() : []) {
    const name = basename(file);
    const map = dashboards.find((o) => o.data?.[name] !== undefined);
    if (!map) found.push(`ConfigMap for ${name}: missing (npm run deploy:generate)`);
    else if (map.data?.[name] !== readFileSync(file, "utf8"))
      found.push(
        problem(map, `data.${name}`, "differs from dashboards/rendered (npm run deploy:generate)"),
      );
  }
  const services = objects.filter((o) => o.kind === "Service");
  for (const monitor of objects.filter((o) => o.kind === "ServiceMonitor")) {
    const service = services.find((s) =>
      matches(monitor.spec.selector?.matchLabels, s.metadata.labels),
    );
    if (!service) found.push(problem(monitor, "spec.selector.matchLabels", "selects no Service"));
    monitor.spec.endpoints.forEach((endpoint: { port: string; path: string }, i: number) => {
      if (endpoint.path !== "/metrics")
        found.push(problem(monitor, `spec.endpoints[${i}].path`, "the service serves /metrics"));
      if (service && !service.spec.ports.some((p: { name: string }) => p.name === endpoint.port))
        found.push(
          problem(
            monitor,
            `spec.endpoints[${i}].port`,
            `${endpoint.port} is no port of ${objectName(service)}`,
          ),
        );
    });
  }
  for (const scaled of objects.filter((o) => o.kind === "ScaledObject")) {
    if (!scaleTargets(objects).includes(scaled.spec.scaleTargetRef.name))
      found.push(problem(scaled, "spec.scaleTargetRef.name", "no such Deployment"));
    scaled.spec.triggers.forEach(
      (trigger: { type: string; metadata: { query?: string } }, i: number) => {
        for (const metric of metricNamesIn(trigger.metadata.query ?? ""))
          if (!known.has(metric))
            found.push(
              problem(
                scaled,
                `spec.triggers[${i}].metadata.query`,
                `${metric} is no metric of the service`,
              ),
            );
      },
    );
  }
  for (const hpa of objects.filter((o) => o.kind === "HorizontalPodAutoscaler"))
    if (!scaleTargets(objects).includes(hpa.spec.scaleTargetRef.name))
      found.push(problem(hpa, "spec.scaleTargetRef.name", "no such Deployment"));
  if (
    objects.some((o) => o.kind === "ScaledObject") &&
    objects.some((o) => o.kind === "HorizontalPodAutoscaler")
  )
    found.push(
      "HorizontalPodAutoscaler: KEDA's ScaledObject creates its own; two autoscalers would fight",
    );
  return found;
}
