import type { ImageInput } from "../../server/pipeline/types.ts";
import { builder } from "../builder.ts";

/** A unit-length vector in CLIP's joint space, for clients that index and search. */
export interface EmbeddingValue {
  model: string;
  values: Float32Array;
}

type BuilderTypes =
  typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;

/** The fields every embedding type shares: its space, length and values. */
function vectorFields<T extends EmbeddingValue>(
  t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, T>,
  modelDescription: string,
) {
  return {
    model: t.string({ description: modelDescription, resolve: (e) => e.model }),
    dimensions: t.int({
      description: "The vector's length.",
      resolve: (e) => e.values.length,
    }),
    values: t.floatList({
      description: "The vector, unit length.",
      resolve: (e) => Array.from(e.values),
    }),
  };
}

export const ImageEmbeddingRef = builder
  .objectRef<EmbeddingValue & { cacheHit: boolean }>("ImageEmbedding")
  .implement({
    description:
      "CLIP's image embedding of the image: unit length, in the same space as Query.embedTexts, so a dot product is the cosine similarity.",
    fields: (t) => ({
      ...vectorFields(
        t,
        "The embedding space, e.g. fashion-mnist/clip: compare only vectors of the same model.",
      ),
      cacheHit: t.exposeBoolean("cacheHit", {
        description:
          "True when it came from the embedding cache (CLIP already saw this image): no model call.",
      }),
    }),
  });

export const TextEmbeddingRef = builder
  .objectRef<EmbeddingValue & { text: string }>("TextEmbedding")
  .implement({
    description:
      "CLIP's text embedding of one text: unit length, in the same space as Classification.embedding.",
    fields: (t) => ({
      text: t.exposeString("text", { description: "The text as embedded (trimmed)." }),
      ...vectorFields(t, "The embedding space, e.g. fashion-mnist/clip."),
    }),
  });

// The image each answer was computed from, so `embedding` can reach CLIP's cache (or decode it
// on a miss) only when a client selects the field. Weak: gone with the answer.
const imageOfAnswer = new WeakMap<object, ImageInput>();

/** Remembers which image an answer is for; the classify resolvers call it on every answer. */
export function rememberImage<T extends object>(answer: T, image: ImageInput): T {
  imageOfAnswer.set(answer, image);
  return answer;
}

export const imageOf = (answer: object) => imageOfAnswer.get(answer);
