import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { multipartRequest } from "../../server/testing/multipart.ts";
import {
  hasPrometheus,
  type RunningPrometheus,
  startPrometheus,
} from "../../server/testing/prometheus.ts";
import { loadEmbeddedSamples, REPO_ROOT } from "../../server/testing/shared-data.ts";
import { CLASSIFY, createTestApp, type TestApp } from "../../server/testing/test-app.ts";
import { invariantProblems, PROBE_PATHS } from "./checks/invariants.ts";
import { hasKubectl, type KubeObject, renderKustomization } from "./checks/render.ts";
import { schemaProblems } from "./checks/schemas.ts";
import { generatedFiles } from "./generate.ts";

const DEPLOY = join(REPO_ROOT, "deploy/kubernetes");
const OVERLAYS = ["dev", "prod"];

if (!hasKubectl)
  console.warn(
    "skipping the Kubernetes manifest checks: `kubectl` is not installed (scripts/install-system-tools.sh installs it)",
  );

/** Schema and invariant problems of a kustomization, rendered. */
function problemsOf(dir: string): string[] {
  const objects = renderKustomization(dir);
  return [...schemaProblems(objects), ...invariantProblems(objects)];
}

/** A copy of deploy/kubernetes in a temp dir, with one file changed, for a broken manifest. */
function brokenCopy(file: string, from: string | RegExp, to: string): string {
  const dir = mkdtempSync(join(tmpdir(), "kustomize-"));
  cpSync(DEPLOY, dir, { recursive: true });
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`${file} has no ${from}`);
  writeFileSync(path, changed);
  return dir;
}

describe.skipIf(!hasKubectl)("deploy/kubernetes rendered by kubectl kustomize", () => {
  const rendered = new Map<string, KubeObject[]>();
  beforeAll(() => {
    for (const overlay of OVERLAYS)
      rendered.set(overlay, renderKustomization(join(DEPLOY, "overlays", overlay)));
  });

  it.each(OVERLAYS)("%s: every object passes its Kubernetes or CRD schema", (overlay) => {
    expect(schemaProblems(rendered.get(overlay) ?? [])).toEqual([]);
  });

  it.each(OVERLAYS)("%s: every invariant holds", (overlay) => {
    expect(invariantProblems(rendered.get(overlay) ?? [])).toEqual([]);
  });

  it("dev runs without KEDA and the Prometheus Operator; prod uses both", () => {
    const kinds = (overlay: string) => new Set(rendered.get(overlay)?.map((o) => o.kind));
    for (const kind of ["ScaledObject", "ServiceMonitor", "PrometheusRule"])
      expect(kinds("dev").has(kind), kind).toBe(false);
    expect(kinds("dev").has("HorizontalPodAutoscaler")).toBe(true);
    for (const kind of ["ScaledObject", "ServiceMonitor", "PrometheusRule"])
      expect(kinds("prod").has(kind), kind).toBe(true);
  });

  it("the pack-download component renders and holds the invariants too", () => {
    const dir = mkdtempSync(join(tmpdir(), "kustomize-"));
    try {
      cpSync(DEPLOY, dir, { recursive: true });
      const overlay = join(dir, "overlays/prod-download");
      cpSync(join(dir, "overlays/prod"), overlay, { recursive: true });
      const kustomization = join(overlay, "kustomization.yaml");
      writeFileSync(
        kustomization,
        readFileSync(kustomization, "utf8").replace(
          "components:\n",
          "components:\n  - ../../components/pack-download\n",
        ) +
          "configMapGenerator:\n  - name: vision-classify-settings\n    behavior: merge\n    literals:\n      - MODELS_MIRROR_URL=https://models.example.com\n",
      );
      const objects = renderKustomization(overlay);
      expect([...schemaProblems(objects), ...invariantProblems(objects)]).toEqual([]);
      const pod = objects.find((o) => o.kind === "Deployment")?.spec.template.spec;
      expect(pod.initContainers[0].command).toEqual(["npm", "run", "models:download", "--"]);
      expect(pod.initContainers[0].args).toContain("--mirror");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the generated PrometheusRule and dashboard ConfigMap are what the generator writes now", () => {
    for (const [path, text] of Object.entries(generatedFiles()))
      expect(readFileSync(path, "utf8"), `${path} is stale: npm run deploy:generate`).toBe(text);
  });

  describe("a broken manifest fails with the object and the field named", () => {
    const cases: [string, string, string | RegExp, string, string][] = [
      [
        "a port that is not a number",
        "base/deployment.yaml",
        "containerPort: 4000",
        'containerPort: "4000"',
        "Deployment/vision-classify: spec.template.spec.containers[0].ports[0].containerPort: must be integer",
      ],
      [
        "a readiness probe on a path the service does not answer",
        "base/deployment.yaml",
        /(readinessProbe:\n\s+httpGet:\n\s+path:) \/ready/,
        "$1 /readyz",
        "Deployment/vision-classify: spec.template.spec.containers[0].readinessProbe.httpGet.path: is /readyz",
      ],
      [
        "a grace period shorter than the drain",
        "base/deployment.yaml",
        "terminationGracePeriodSeconds: 30",
        "terminationGracePeriodSeconds: 12",
        "Deployment/vision-classify: spec.template.spec.terminationGracePeriodSeconds: 12 s does not exceed",
      ],
      [
        "a root filesystem left writable",
        "base/deployment.yaml",
        /readOnlyRootFilesystem: true(\n\s+capabilities:\n\s+drop: \["ALL"\]\n\s+volumeMounts:\n\s+- name: packs\n\s+mountPath: \/packs\n\s+readOnly)/,
        "readOnlyRootFilesystem: false$1",
        "Deployment/vision-classify: spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem: must be true",
      ],
      [
        "a Redis policy admitting pods that do not exist",
        "base/network-policy.yaml",
        /(- podSelector:\n\s+matchLabels:\n\s+app.kubernetes.io\/name: vision-classify\n\s+app.kubernetes.io\/component:) api/,
        "$1 web",
        "NetworkPolicy/vision-classify-redis: spec.ingress[0].from[0].podSelector.matchLabels: selects no pods",
      ],
      [
        "an alert rule edited in the copy instead of monitoring/rules",
        "components/prometheus-operator/prometheus-rule.yaml",
        "for: 1m",
        "for: 2m",
        "PrometheusRule/vision-classify: spec.groups: differs from monitoring/rules",
      ],
      [
        "a scaling query on a metric the service does not export",
        "components/keda/scaled-object.yaml",
        'query: sum(inference_queue_length{job="vision-classify",role="clip_vision"})',
        'query: sum(inference_queue_depth{job="vision-classify",role="clip_vision"})',
        "ScaledObject/vision-classify: spec.triggers[1].metadata.query: inference_queue_depth is no metric",
      ],
      [
        "a CRD field of the wrong type",
        "components/keda/scaled-object.yaml",
        "maxReplicaCount: 20",
        "maxReplicaCount: twenty",
        "ScaledObject/vision-classify: spec.maxReplicaCount: must be integer",
      ],
    ];
    it.each(cases)("%s", (_, file, from, to, expected) => {
      const dir = brokenCopy(file, from, to);
      try {
        const problems = problemsOf(join(dir, "overlays/prod"));
        expect(problems.join("\n")).toContain(expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

if (!hasPrometheus)
  console.warn(
    "skipping the live scaling-query check: `prometheus` is not installed (scripts/install-system-tools.sh installs it)",
  );

describe.skipIf(!hasKubectl || !hasPrometheus)("the manifests against the real service", () => {
  let service: TestApp | undefined;
  let listening: Awaited<ReturnType<TestApp["listen"]>> | undefined;
  let base = "";
  let prometheus: RunningPrometheus | undefined;
  const objects = hasKubectl ? renderKustomization(join(DEPLOY, "overlays/prod")) : [];

  beforeAll(async () => {
    service = await createTestApp({ VLM_TIMEOUT_MS: "30000" });
    listening = await service.listen();
    base = listening.url;
    prometheus = await startPrometheus({ target: base.slice("http://".length) });
    for (const [i, sample] of loadEmbeddedSamples().slice(0, 6).entries()) {
      const response = await fetch(
        multipartRequest(
          CLASSIFY,
          { image: null, options: { vlm: i % 2 ? "FORCE" : "AUTO" } },
          [{ path: "variables.image", bytes: sample.bytes }],
          `${base}/graphql`,
        ),
      );
      expect(response.status).toBe(200);
    }
    await prometheus.waitForScrapes(2);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await listening?.close();
    await service?.runtime.close();
  });

  it("the probes' paths answer 200 on a ready service", async () => {
    const api = objects
      .find((o) => o.kind === "Deployment" && o.metadata.name === "vision-classify")
      ?.spec.template.spec.containers.find((c: { name: string }) => c.name === "api");
    for (const probe of Object.keys(PROBE_PATHS)) {
      const response = await fetch(`${base}${api[probe].httpGet.path}`);
      expect(response.status, probe).toBe(200);
    }
  });

  it("every Prometheus query of the ScaledObject returns a number", async () => {
    const scaled = objects.find((o) => o.kind === "ScaledObject");
    const queries = scaled?.spec.triggers
      .filter((trigger: { type: string }) => trigger.type === "prometheus")
      .map((trigger: { metadata: { query: string } }) => trigger.metadata.query) as string[];
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      const result = await prometheus?.query(query);
      expect(result, query).toHaveLength(1);
      expect(Number.isFinite(Number(result?.[0]?.values[0]?.[1])), query).toBe(true);
    }
  });
});
