import type { OnnxModel } from "../../server/inference/onnx-session.ts";
import { builder } from "../builder.ts";

export interface ModelInfo {
  name: string;
  role: "CNN" | "CLIP_VISION" | "CLIP_TEXT";
  file: string;
  inputs: readonly string[];
  outputs: readonly string[];
  loadSeconds: number;
}

export interface Health {
  status: "OK";
  ready: boolean;
  pack: string;
  vlmAvailable: boolean;
  vlmUnavailableReason: string | null;
  uptimeSeconds: number;
}

const ModelRoleEnum = builder.enumType("ModelRole", {
  description: "What a model does in the pipeline.",
  values: ["CNN", "CLIP_VISION", "CLIP_TEXT"] as const,
});

export const ModelInfoRef = builder.objectRef<ModelInfo>("ModelInfo").implement({
  description: "A loaded ONNX model.",
  fields: (t) => ({
    name: t.exposeString("name"),
    role: t.field({ type: ModelRoleEnum, resolve: (m) => m.role }),
    file: t.exposeString("file", { description: "The ONNX file, relative to the pack folder." }),
    inputs: t.exposeStringList("inputs"),
    outputs: t.exposeStringList("outputs"),
    loadSeconds: t.exposeFloat("loadSeconds"),
  }),
});

export const HealthRef = builder.objectRef<Health>("Health").implement({
  description: "Whether the service is up, and whether CLIP can give second opinions.",
  fields: (t) => ({
    status: t.exposeString("status"),
    ready: t.exposeBoolean("ready", { description: "Models loaded and one real inference done." }),
    pack: t.exposeString("pack"),
    vlmAvailable: t.exposeBoolean("vlmAvailable"),
    vlmUnavailableReason: t.exposeString("vlmUnavailableReason", { nullable: true }),
    uptimeSeconds: t.exposeFloat("uptimeSeconds"),
  }),
});

export function describeModel(
  name: string,
  role: ModelInfo["role"],
  packDir: string,
  model: OnnxModel,
): ModelInfo {
  return {
    name,
    role,
    file: model.path.startsWith(`${packDir}/`) ? model.path.slice(packDir.length + 1) : model.path,
    inputs: model.inputNames,
    outputs: model.outputNames,
    loadSeconds: model.loadSeconds,
  };
}
