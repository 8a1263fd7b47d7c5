import type { Access } from "../server/auth/access.ts";
import type { ImageBudget } from "../server/guards/image-budget.ts";
import type { ImageLoaders } from "../server/pipeline/image-loader.ts";
import type { ServiceRuntime } from "../server/runtime/service-runtime.ts";

/** What every resolver sees: the process-wide runtime and this request's own state. */
export interface GraphQLContext {
  runtime: ServiceRuntime;
  /** This request's DataLoader front door: same options + same bytes → one classification. */
  loadImage: ImageLoaders;
  /** What the caller's API key allows (everything when the service runs without keys). */
  access: Access;
  /** Images this request may still classify, across all its fields. */
  imageBudget: ImageBudget;
}
