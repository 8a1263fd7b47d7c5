import DataLoader from "dataloader";
import type { Classifier, ClassifyOutcome } from "./classify.ts";
import type { Classification, ClassifyOptions, ImageInput } from "./types.ts";

/**
 * Per-request loaders, one per distinct options: every image one GraphQL request asks for
 * with the same options is classified in one pipeline batch, and identical images (same
 * sha256) are decoded and scored once. Built per request, so nothing leaks across requests.
 */
export function createImageLoaders(classifier: Pick<Classifier, "classifyImages">) {
  const loaders = new Map<string, DataLoader<ImageInput, Classification, string>>();

  return function load(image: ImageInput, options: ClassifyOptions): Promise<Classification> {
    const key = JSON.stringify(options);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader<ImageInput, Classification, string>(
        async (images) => {
          const outcomes: ClassifyOutcome[] = await classifier.classifyImages(images, options);
          // DataLoader rejects just the keys whose value is an Error: one bad image fails alone.
          return outcomes;
        },
        { cacheKeyFn: (input) => input.sha256 },
      );
      loaders.set(key, loader);
    }
    return loader.load(image);
  };
}

export type ImageLoaders = ReturnType<typeof createImageLoaders>;
