import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { configVariables, loadConfig } from "../../../server/config/config.ts";
import { METRICS } from "../../../server/telemetry/metric-names.ts";
import { metricNamesIn } from "../../../server/testing/prometheus.ts";
import { dashboardFiles, ruleGroups } from "../generate.ts";
import { type KubeObject, objectName } from "./render.ts";

/** The endpoints the service answers (server/app.ts), by the probe that must use each. */
export const PROBE_PATHS = {
  livenessProbe: "/health",
  readinessProbe: "/ready",
  startupProbe: "/ready",
};
const API_CONTAINER = "api";

type Problem = string;
const problem = (object: KubeObject, field: string, message: string): Problem =>
  `${objectName(object)}: ${field}: ${message}`;

const matches = (
  selector: Record<string, string> | undefined,
  labels: Record<string, string> = {},
) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels[key] === value);

const podLabels = (deployment: KubeObject): Record<string, string> =>
  deployment.spec?.template?.metadata?.labels ?? {};

/** The settings ConfigMap(s) a container reads through envFrom, merged. */
function settingsOf(
  objects: KubeObject[],
  container: { envFrom?: { configMapRef?: { name: string } }[] },
) {
  const names = (container.envFrom ?? []).flatMap((from) => from.configMapRef?.name ?? []);
  return Object.assign(
    {},
    ...objects
      .filter((o) => o.kind === "ConfigMap" && names.includes(o.metadata.name))
      .map((o) => o.data),
  ) as Record<string, string>;
}

/** preStop `sleep N` in seconds (exec or the sleep action), 0 without one. */
function preStopSeconds(container: {
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds: number } } };
}) {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds;
  const [command, seconds] = preStop?.exec?.command ?? [];
  return command === "sleep" ? Number(seconds) : 0;
}

function apiDeploymentProblems(objects: KubeObject[], deployment: KubeObject): Problem[] {
  const found: Problem[] = [];
  const pod = deployment.spec.template.spec;
  const at = "spec.template.spec";
  const index = pod.containers.findIndex((c: { name: string }) => c.name === API_CONTAINER);
  const api = pod.containers[index];
  if (!api) return [problem(deployment, `${at}.containers`, `no container named ${API_CONTAINER}`)];
  const c = `${at}.containers[${index}]`;
  const portNames = new Set((api.ports ?? []).map((p: { name: string }) => p.name));

  for (const [probe, path] of Object.entries(PROBE_PATHS)) {
    const get = api[probe]?.httpGet;
    if (!get) found.push(problem(deployment, `${c}.${probe}`, `missing (must GET ${path})`));
    else {
      if (get.path !== path)
        found.push(
          problem(
            deployment,
            `${c}.${probe}.httpGet.path`,
            `is ${get.path}, the service answers this probe on ${path}`,
          ),
        );
      if (
        !portNames.has(get.port) &&
        !(api.ports ?? []).some((p: { containerPort: number }) => p.containerPort === get.port)
      )
        found.push(
          problem(
            deployment,
            `${c}.${probe}.httpGet.port`,
            `${get.port} is no port of the container`,
          ),
        );
    }
  }

  const settings = settingsOf(objects, api);
  const known = new Set(configVariables.map((v) => v.name));
  for (const key of Object.keys(settings))
    if (!known.has(key))
      found.push(
        problem(
          deployment,
          `${c}.envFrom`,
          `${key} is no setting of the service (server/config/config.ts)`,
        ),
      );
  const drainMs = loadConfig({ SHUTDOWN_DRAIN_MS: settings.SHUTDOWN_DRAIN_MS }).shutdown.drainMs;
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  const pause = preStopSeconds(api);
  if (pause <= 0)
    found.push(
      problem(
        deployment,
        `${c}.lifecycle.preStop`,
        "missing: endpoints need time to drop the pod before SIGTERM",
      ),
    );
  if (grace * 1000 <= pause * 1000 + drainMs)
    found.push(
      problem(
        deployment,
        `${at}.terminationGracePeriodSeconds`,
        `${grace} s does not exceed the preStop pause (${pause} s) plus SHUTDOWN_DRAIN_MS (${drainMs} ms)`,
      ),
    );

  // Threads follow the CPU limit: Node sees the node's cores, not the container's share.
  if (!api.resources?.limits?.cpu)
    found.push(problem(deployment, `${c}.resources.limits.cpu`, "missing"));
  for (const name of ["ORT_INTRA_OP_THREADS", "DECODE_CONCURRENCY"]) {
    const variable = (api.env ?? []).find((e: { name: string }) => e.name === name);
    const field = variable?.valueFrom?.resourceFieldRef;
    if (field?.resource !== "limits.cpu" || field?.containerName !== API_CONTAINER)
      found.push(
        problem(deployment, `${c}.env.${name}`, "must come from the api container's limits.cpu"),
      );
  }

  // Writable only where the service writes: CACHE_DIR and the temp dir, on volumes.
  const mounts: { mountPath: string; readOnly?: boolean }[] = api.volumeMounts ?? [];
  for (const path of [settings.CACHE_DIR ?? "", "/tmp"]) {
    if (!mounts.some((m) => m.mountPath === path && !m.readOnly))
      found.push(
        problem(
          deployment,
          `${c}.volumeMounts`,
          `${path || "CACHE_DIR"} must be a writable volume (the root filesystem is read-only)`,
        ),
      );
  }
  return found;
}

/** Every container of every workload: non-root, read-only root, no escalation, RuntimeDefault seccomp. */
function securityProblems(deployment: KubeObject): Problem[] {
  const pod = deployment.spec.template.spec;
  const at = "spec.template.spec";
  const found: Problem[] = [];
  if (pod.securityContext?.runAsNonRoot !== true)
    found.push(problem(deployment, `${at}.securityContext.runAsNonRoot`, "must be true"));
  if (pod.securityContext?.seccompProfile?.type !== "RuntimeDefault")
    found.push(
      problem(deployment, `${at}.securityContext.seccompProfile.type`, "must be RuntimeDefault"),
    );
  for (const kind of ["initContainers", "containers"]) {
    (pod[kind] ?? []).forEach(
      (container: { securityContext?: Record<string, unknown> }, i: number) => {
        const sc = container.securityContext ?? {};
        const c = `${at}.${kind}[${i}].securityContext`;
        if (sc.readOnlyRootFilesystem !== true)
          found.push(problem(deployment, `${c}.readOnlyRootFilesystem`, "must be true"));
        if (sc.allowPrivilegeEscalation !== false)
          found.push(problem(deployment, `${c}.allowPrivilegeEscalation`, "must be false"));
      },
    );
  }
  return found;
}

function selectorProblems(objects: KubeObject[]): Problem[] {
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

function monitoringProblems(objects: KubeObject[]): Problem[] {
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

/** Every broken invariant of a rendered overlay, as "Kind/name: field: what is wrong". */
export function invariantProblems(objects: KubeObject[]): Problem[] {
  const api = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "vision-classify");
  return [
    ...(api ? apiDeploymentProblems(objects, api) : ["Deployment/vision-classify: missing"]),
    ...objects.filter((o) => o.kind === "Deployment").flatMap(securityProblems),
    ...selectorProblems(objects),
    ...monitoringProblems(objects),
  ];
}
