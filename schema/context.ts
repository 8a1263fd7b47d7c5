import type { ImageLoaders } from "../server/pipeline/image-loader.ts";
import type { Runtime } from "../server/runtime.ts";

/** What every resolver sees: the process-wide runtime and this request's own loaders. */
export interface GraphQLContext {
  runtime: Runtime;
  /** This request's DataLoader front door: same options + same bytes → one classification. */
  loadImage: ImageLoaders;
}
