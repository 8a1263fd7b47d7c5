import type { ModelVariant } from "../../server/inference/model-variants.ts";
import type { ModelFacts } from "../../server/runtime/service-runtime.ts";
import { builder } from "../builder.ts";

export interface ModelInfo {
  name: string;
  role: "CNN" | "CLIP_VISION" | "CLIP_TEXT";
  file: string;
  inputs: readonly string[];
  outputs: readonly string[];
  loadSeconds: number;
  /** Which precision and threads it runs with; null for a model the choice does not cover. */
  variant: ModelVariant | null;
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

const ModelVariantRef = builder.objectRef<ModelVariant>("ModelVariant").implement({
  description: "How a model runs on this machine.",
  fields: (t) => ({
    precision: t.exposeString("precision", { description: "fp32, int8 or fp16." }),
    threads: t.exposeInt("threads", { description: "onnxruntime intra-op threads." }),
    exactInt8: t.exposeBoolean("exactInt8", {
      description: "Whether int8 runs on the exact u8×u8 kernels (x86 without VNNI needs them).",
    }),
    source: t.exposeString("source", {
      description:
        "measured: the fastest variant matching fp32 on this machine (models:choose-variant); configured: VLM_PRECISION and ORT_INTRA_OP_THREADS.",
    }),
  }),
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
    variant: t.field({
      type: ModelVariantRef,
      nullable: true,
      description:
        "Its precision and threads; null for CLIP's text tower, which runs as configured.",
      resolve: (m) => m.variant,
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
  model: ModelFacts,
  variant: ModelVariant | null = null,
): ModelInfo {
  return {
    name,
    role,
    file: model.path.startsWith(`${packDir}/`) ? model.path.slice(packDir.length + 1) : model.path,
    inputs: model.inputNames,
    outputs: model.outputNames,
    loadSeconds: model.loadSeconds,
    variant,
  };
}
