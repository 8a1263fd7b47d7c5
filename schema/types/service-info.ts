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
  values: {
    CNN: { description: "The classifier that answers every image." },
    CLIP_VISION: { description: "CLIP's image tower: embeds images for the second opinion." },
    CLIP_TEXT: { description: "CLIP's text tower: embeds the caller's own labels." },
  } as const,
});

export const ModelInfoRef = builder.objectRef<ModelInfo>("ModelInfo").implement({
  description: "A loaded ONNX model.",
  fields: (t) => ({
    name: t.exposeString("name", {
      description: "The pack name and the model, e.g. fashion-mnist/cnn.",
    }),
    role: t.field({
      type: ModelRoleEnum,
      description: "What the model does.",
      resolve: (m) => m.role,
    }),
    file: t.exposeString("file", { description: "The ONNX file, relative to the pack folder." }),
    inputs: t.exposeStringList("inputs", { description: "The ONNX graph's input names." }),
    outputs: t.exposeStringList("outputs", { description: "The ONNX graph's output names." }),
    loadSeconds: t.exposeFloat("loadSeconds", {
      description: "How long loading the model took at start.",
    }),
  }),
});

export const HealthRef = builder.objectRef<Health>("Health").implement({
  description: "Whether the service is up, and whether CLIP can give second opinions.",
  fields: (t) => ({
    status: t.exposeString("status", { description: "OK whenever the service answers." }),
    ready: t.exposeBoolean("ready", { description: "Models loaded and one real inference done." }),
    pack: t.exposeString("pack", { description: "The name of the loaded model pack." }),
    vlmAvailable: t.exposeBoolean("vlmAvailable", {
      description:
        "Whether CLIP loaded. Without it, answers that wanted CLIP have fallback: UNAVAILABLE.",
    }),
    vlmUnavailableReason: t.exposeString("vlmUnavailableReason", {
      nullable: true,
      description: "Why CLIP did not load; null when it did.",
    }),
    uptimeSeconds: t.exposeFloat("uptimeSeconds", {
      description: "Seconds since the service started.",
    }),
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
