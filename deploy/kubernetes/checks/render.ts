import { spawnSync } from "node:child_process";
import { parseAllDocuments } from "yaml";

/** Whether `kubectl` is on the PATH (Debian package `kubectl`; `kubectl kustomize` works offline). */
export const hasKubectl = spawnSync("kubectl", ["version", "--client"]).status === 0;

/** One object of a rendered kustomization, as plain data. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field
  spec?: any;
  data?: Record<string, string>;
}

/** "Deployment/vision-classify", the way the checks name an object. */
export const objectName = (object: KubeObject) => `${object.kind}/${object.metadata.name}`;

/** Renders a kustomization folder with `kubectl kustomize`; a render error throws with its message. */
export function renderKustomization(dir: string): KubeObject[] {
  const result = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((document) => {
    if (document.errors.length > 0) throw new Error(`${dir}: ${document.errors[0]?.message}`);
    return document.toJS() as KubeObject;
  });
}

/** "Kind/name: field.path: what is wrong". */
export type Problem = string;
export const problem = (object: KubeObject, field: string, message: string): Problem =>
  `${objectName(object)}: ${field}: ${message}`;

/** Whether a label selector (non-empty) selects these labels. */
export const matches = (
  selector: Record<string, string> | undefined,
  labels: Record<string, string> = {},
) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels[key] === value);

export const podLabels = (deployment: KubeObject): Record<string, string> =>
  deployment.spec?.template?.metadata?.labels ?? {};
