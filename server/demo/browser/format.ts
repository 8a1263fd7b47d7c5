import type { Fallback, VlmReason } from "../../../schema/generated/operations.ts";

/** A probability as the page shows it: a percentage with one decimal, e.g. "87.3%". */
export const formatPercent = (probability: number) => `${(probability * 100).toFixed(1)}%`;

/** Milliseconds with one decimal, e.g. "12.4 ms". */
export const formatMs = (ms: number) => `${ms.toFixed(1)} ms`;

/** Bytes in the unit a person reads at a glance. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Why CLIP was consulted, in words (the enum values are in the schema's docs). */
export const VLM_REASON_TEXT: Record<VlmReason, string> = {
  LOW_CONFIDENCE: "the CNN was unsure",
  PRIORITY_CLASS: "the CNN's answer is a priority class",
  FORCED: "you asked for it",
  CUSTOM_LABELS: "your own labels need it",
};

/** Why the answer is the CNN's alone although CLIP was wanted. */
export const FALLBACK_TEXT: Record<Fallback, string> = {
  TIMEOUT: "CLIP was too slow",
  ERROR: "CLIP failed",
  OVERLOADED: "CLIP was too busy",
  UNAVAILABLE: "CLIP is unavailable",
};
