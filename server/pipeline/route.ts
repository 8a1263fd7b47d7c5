import type { ClassifyOptions, ClipReason } from "./types.ts";

export interface RoutingRules {
  /** At or above this CNN top-1 probability CLIP is not consulted (unless a priority class). */
  high: number;
  /** Below this the ensemble trusts CLIP more than the CNN. */
  low: number;
  priorityClasses: ReadonlySet<string>;
}

/**
 * Whether CLIP gives a second opinion, and why. Custom labels need CLIP (the CNN knows only its
 * own classes); then the client's FORCE/OFF; then low confidence; then priority classes.
 */
export function decideRoute(
  cnnTop: { label: string; score: number },
  options: Pick<ClassifyOptions, "vlm" | "labels">,
  rules: RoutingRules,
): ClipReason | null {
  if (options.labels) return "CUSTOM_LABELS";
  if (options.vlm === "OFF") return null;
  if (options.vlm === "FORCE") return "FORCED";
  if (cnnTop.score < rules.high) return "LOW_CONFIDENCE";
  if (rules.priorityClasses.has(cnnTop.label)) return "PRIORITY_CLASS";
  return null;
}
