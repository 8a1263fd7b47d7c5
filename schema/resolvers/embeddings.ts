import { requireScope } from "../../server/auth/access.ts";
import { UserError } from "../../server/errors/user-error.ts";
import { parseEmbedTexts } from "../../server/pipeline/embeddings-out.ts";
import { withSpan } from "../../server/telemetry/tracing.ts";
import { builder } from "../builder.ts";
import { ClassificationRef } from "../types/classification.ts";
import { ImageEmbeddingRef, imageOf, TextEmbeddingRef } from "../types/embedding.ts";

builder.objectField(ClassificationRef, "embedding", (t) =>
  t.field({
    type: ImageEmbeddingRef,
    nullable: true,
    description:
      "CLIP's image embedding of this image, to index it (e.g. image search with Query.embedTexts). Computed only when selected: free when CLIP already saw the image (it comes from the embedding cache; see cacheHit), else one CLIP vision call (and a decode), batched like a second opinion. Needs the scope classify:force-vlm. Null when CLIP cannot embed it now (not loaded, breaker open, overloaded, timed out).",
    resolve: async (answer, _, { runtime, access }) => {
      requireScope(access, "classify:force-vlm");
      const image = imageOf(answer);
      if (!image) throw new Error("an answer without its image: classify must rememberImage");
      const embedded = await runtime.classifier.embeddings.image(image);
      return embedded.ok ? embedded : null;
    },
  }),
);

builder.queryField("embedTexts", (t) =>
  t.field({
    type: [TextEmbeddingRef],
    description:
      "CLIP's text embeddings of texts, as they are (no prompt template), in order: compare them with Classification.embedding by dot product to search images by text. 1 to CUSTOM_LABELS_MAX texts (default 256) of 1 to 300 characters; the tokenizer keeps the first context-length tokens. One text-tower call per request. Needs the scope classify:force-vlm.",
    args: {
      texts: t.arg.stringList({ required: true, description: "The texts to embed." }),
    },
    resolve: (_, args, { runtime, access }) =>
      withSpan("embedTexts", { "texts.count": args.texts.length }, async () => {
        requireScope(access, "classify:force-vlm");
        const texts = parseEmbedTexts(args.texts, runtime.config.limits.customLabelsMax);
        const embedded = await runtime.classifier.embeddings.texts(texts);
        if (!embedded) throw new UserError("VLM_UNAVAILABLE", "CLIP is not loaded in this service");
        return texts.map((text, i) => ({
          text,
          model: embedded.model,
          values: embedded.values[i] as Float32Array,
        }));
      }),
  }),
);
