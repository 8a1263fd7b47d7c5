import { badInput } from "../errors/user-error.ts";
import type { ClassifyOptions, ClipMode } from "./types.ts";

export interface OptionLimits {
  /** Most labels in a custom label set. */
  customLabelsMax: number;
}

const LABEL_MAX_CHARS = 100;
const TOP_K_MAX = 100;

/** Checks what a client asked for; every mistake is a BAD_USER_INPUT error naming the field. */
export function parseClassifyOptions(
  input:
    | { topK?: number | null; vlm?: ClipMode | null; labels?: readonly string[] | null }
    | null
    | undefined,
  limits: OptionLimits,
): ClassifyOptions {
  const topK = input?.topK ?? 5;
  const vlm = input?.vlm ?? "AUTO";
  if (!Number.isInteger(topK) || topK < 1 || topK > TOP_K_MAX) {
    throw badInput(`options.topK must be between 1 and ${TOP_K_MAX}`);
  }
  const labels = input?.labels ?? null;
  if (labels === null) return { topK, vlm, labels: null };

  if (vlm === "OFF")
    throw badInput("options.labels needs the VLM; it cannot be combined with vlm: OFF");
  const cleaned = labels.map((label) => label.trim());
  if (cleaned.length < 2 || cleaned.length > limits.customLabelsMax) {
    throw badInput(`options.labels must have between 2 and ${limits.customLabelsMax} labels`);
  }
  if (cleaned.some((label) => label.length === 0 || label.length > LABEL_MAX_CHARS)) {
    throw badInput(`each label in options.labels must have 1 to ${LABEL_MAX_CHARS} characters`);
  }
  if (new Set(cleaned).size !== cleaned.length) throw badInput("options.labels has duplicates");
  return { topK, vlm, labels: cleaned };
}
