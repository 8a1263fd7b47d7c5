import type { KubeObject, Problem } from "./render.ts";
import { monitoringProblems, selectorProblems } from "./wiring.ts";
import { apiDeploymentProblems, securityProblems } from "./workload.ts";

export { PROBE_PATHS } from "./workload.ts";

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
