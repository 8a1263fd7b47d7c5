import { badInput } from "../errors/user-error.ts";
import type { Models } from "../inference/load-models.ts";
import type { PreprocessSpec } from "../preprocess/preprocessor-config.ts";
import { withSpan } from "../telemetry/tracing.ts";
import type { DecodedImage } from "./decode.ts";
import type { ImageEmbedder } from "./image-embeddings.ts";
import type { Fallback, ImageInput } from "./types.ts";

/** An image's CLIP embedding for the client (unit length), or why there is none right now. */
export type ImageEmbeddingOut =
  | { ok: true; model: string; values: Float32Array; cacheHit: boolean }
  | { ok: false; fallback: Fallback };

export interface EmbeddingsOutOptions {
  models: Pick<Models, "pack" | "clip">;
  /** CLIP's cache step (embedding cache → batcher → vision tower), shared with classification. */
  embedImage: ImageEmbedder | null;
  /** The pipeline's bounded decode, for CLIP's input on a cache miss. */
  decodeImage: (bytes: Uint8Array, spec: PreprocessSpec) => Promise<DecodedImage>;
  /** How long to wait for CLIP's vision tower. */
  clipTimeoutMs: number;
}

/**
 * Embeddings handed out to clients, e.g. to index images and search them by text: the image
 * tower's embedding through the same cache and batcher as the second opinion (a hit when CLIP
 * already saw the image; else one decode and one vision call), and the text tower's for texts.
 * Both are unit length in one space, so a dot product is the cosine similarity.
 */
export function createEmbeddingsOut({
  models,
  embedImage,
  decodeImage,
  clipTimeoutMs,
}: EmbeddingsOutOptions) {
  const { pack, clip } = models;
  const model = `${pack.name}/clip`;

  async function image(input: ImageInput): Promise<ImageEmbeddingOut> {
    if (!clip || !embedImage) return { ok: false, fallback: "UNAVAILABLE" };
    const spec = clip.vision.preprocess;
    const outcome = await withSpan("embedding", { "image.sha256": input.sha256 }, () =>
      embedImage(
        {
          sha256: input.sha256,
          tensorOnMiss: async () => (await decodeImage(input.bytes, spec)).tensor,
        },
        clipTimeoutMs,
      ),
    );
    if (!outcome.ok) return { ok: false, fallback: outcome.fallback };
    return { ok: true, model, values: outcome.embedding, cacheHit: outcome.cacheHit };
  }

  /** The text tower's embeddings, raw texts (no prompt template), in order; null without CLIP. */
  async function texts(texts: readonly string[]) {
    if (!clip) return null;
    const values = await withSpan("embedding.text", { "texts.count": texts.length }, () =>
      clip.text.embed(texts),
    );
    return { model, values };
  }

  return { image, texts };
}

export type EmbeddingsOut = ReturnType<typeof createEmbeddingsOut>;

/** The longest text `embedTexts` takes; the tokenizer keeps the first context-length tokens. */
export const EMBED_TEXT_MAX_CHARS = 300;

/** Checks texts to embed: 1 to `maxTexts` of them, each 1 to 300 characters once trimmed. */
export function parseEmbedTexts(texts: readonly string[], maxTexts: number): string[] {
  if (texts.length < 1 || texts.length > maxTexts) {
    throw badInput(`texts must have between 1 and ${maxTexts} entries`);
  }
  const cleaned = texts.map((text) => text.trim());
  if (cleaned.some((text) => text.length === 0 || text.length > EMBED_TEXT_MAX_CHARS)) {
    throw badInput(`each text must have 1 to ${EMBED_TEXT_MAX_CHARS} characters`);
  }
  return cleaned;
}
