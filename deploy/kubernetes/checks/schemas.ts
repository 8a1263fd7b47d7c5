import type { Model } from "@kubernetes-models/base";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import {
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Secret, Service } from "kubernetes-models/v1";
import { type KubeObject, objectName } from "./render.ts";

type ModelClass = new (data: never) => Model<unknown>;

/** The schema of every kind the manifests use, by apiVersion and kind. */
const MODELS: Record<string, ModelClass> = Object.fromEntries(
  [
    ConfigMap,
    Secret,
    Service,
    Deployment,
    HorizontalPodAutoscaler,
    NetworkPolicy,
    PodDisruptionBudget,
    ScaledObject,
    ServiceMonitor,
    PrometheusRule,
  ].map((model) => [`${model.apiVersion}/${model.kind}`, model as unknown as ModelClass]),
);

interface SchemaError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** "/spec/template/spec/containers/0/ports/0" → "spec.template.spec.containers[0].ports[0]". */
export function fieldPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((key) => key.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce(
      (path, key) => (/^\d+$/.test(key) ? `${path}[${key}]` : path ? `${path}.${key}` : key),
      "",
    );
}

/**
 * Every schema problem of every object, as "Kind/name: field: message" lines: the Kubernetes
 * schemas (kubernetes-models) and the CRDs' (KEDA, Prometheus Operator). A kind without a
 * schema here is a problem too, so nothing goes unchecked.
 */
export function schemaProblems(objects: KubeObject[]): string[] {
  return objects.flatMap((object) => {
    const model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!model) return [`${objectName(object)}: no schema for ${object.apiVersion} ${object.kind}`];
    try {
      new model(object as never).validate();
      return [];
    } catch (error) {
      const errors = (error as { errors?: SchemaError[] }).errors;
      if (!errors) return [`${objectName(object)}: ${(error as Error).message}`];
      return errors.map((e) => {
        const extra = e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : "";
        return `${objectName(object)}: ${fieldPath(e.instancePath) || "(root)"}: ${e.message}${extra}`;
      });
    }
  });
}
