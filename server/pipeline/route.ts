import type { ClassifyOptions, ClipReason } from "./types.ts";

/** When CLIP is asked in AUTO mode. */
export interface RoutingRules {
  /**
   * Whether the CNN's (calibrated) top-1 probability is low enough to ask CLIP: the pack's
   * rule (`EnsembleRule.routes`), its threshold fitted or set by the operator.
   */
  routes(confidence: number): boolean;
  /** CNN top labels that always get a second opinion. */
  priorityClasses: ReadonlySet<string>;
}

/**
 * Whether CLIP gives a second opinion, and why; `cnnTop.score` is the CNN's calibrated confidence. Custom labels need CLIP (the CNN knows only its
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
  if (rules.routes(cnnTop.score)) return "LOW_CONFIDENCE";
  if (rules.priorityClasses.has(cnnTop.label)) return "PRIORITY_CLASS";
  return null;
}
