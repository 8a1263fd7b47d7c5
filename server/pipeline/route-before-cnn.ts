import type { ClassifyOptions, ClipReason } from "./types.ts";

/**
 * The route when the client's options alone decide it, before the CNN has answered: custom
 * labels always need CLIP, and so does `vlm: FORCE`. Then CLIP can start beside the CNN instead
 * of after it. Null for AUTO (the CNN's confidence decides) and OFF. Agrees with decideRoute,
 * which checks these options first.
 */
export function routeBeforeCnn(
  options: Pick<ClassifyOptions, "vlm" | "labels">,
): ClipReason | null {
  if (options.labels) return "CUSTOM_LABELS";
  if (options.vlm === "FORCE") return "FORCED";
  return null;
}
