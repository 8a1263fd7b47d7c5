import { configVariables, loadConfig } from "../../../server/config/config.ts";
import { type KubeObject, type Problem, problem } from "./render.ts";

/** The endpoints the service answers (server/app.ts), by the probe that must use each. */
export const PROBE_PATHS = {
  livenessProbe: "/health",
  readinessProbe: "/ready",
  startupProbe: "/ready",
};
const API_CONTAINER = "api";

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

/** The API's Deployment: probes, drain, settings, threads and writable paths. */
export function apiDeploymentProblems(objects: KubeObject[], deployment: KubeObject): Problem[] {
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
export function securityProblems(deployment: KubeObject): Problem[] {
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
