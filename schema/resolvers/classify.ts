import { type Access, requireScope } from "../../server/auth/access.ts";
import { badInput, UserError } from "../../server/errors/user-error.ts";
import { readBase64Image } from "../../server/http/base64-image.ts";
import { readUpload } from "../../server/http/upload.ts";
import { parseClassifyOptions } from "../../server/pipeline/options.ts";
import type { ClassifyOptions } from "../../server/pipeline/types.ts";
import { withSpan } from "../../server/telemetry/tracing.ts";
import { builder } from "../builder.ts";
import { ClassificationRef } from "../types/classification.ts";
import { ClassifyOptionsInput } from "../types/classify-options.ts";
import { type ClassifyResult, ClassifyResultRef } from "../types/classify-result.ts";
import { rememberImage } from "../types/embedding.ts";

/** The scope "classify", and "classify:force-vlm" too for options that make CLIP run. */
function classifyOptionsFor(
  access: Access,
  input: Parameters<typeof parseClassifyOptions>[0],
  limits: Parameters<typeof parseClassifyOptions>[1],
): ClassifyOptions {
  requireScope(access, "classify");
  const options = parseClassifyOptions(input, limits);
  // FORCE and custom labels run CLIP (and for labels its text tower) on every image.
  if (options.vlm === "FORCE" || options.labels !== null) {
    requireScope(access, "classify:force-vlm");
  }
  return options;
}

/** The one image of `classify`: an uploaded file or base64 text, exactly one of them. */
function readImageArgument(
  file: File | null | undefined,
  base64: string | null | undefined,
  maxBytes: number,
) {
  if ((file == null) === (base64 == null)) {
    throw badInput("send exactly one of image (an upload) and imageBase64 (base64 or a data URL)");
  }
  return base64 != null ? readBase64Image(base64, maxBytes) : readUpload(file, maxBytes);
}

builder.mutationField("classify", (t) =>
  t.field({
    type: ClassificationRef,
    description:
      "Classify one image. A bad image is a GraphQL error whose extensions.code says why.",
    args: {
      image: t.arg({
        type: "File",
        required: false,
        description:
          "The image file: JPEG, PNG, WebP, GIF or AVIF (others are refused as UNSUPPORTED_IMAGE_FORMAT). Send this or imageBase64.",
      }),
      imageBase64: t.arg.string({
        required: false,
        description:
          "The image as base64 text or a data URL (data:image/png;base64,…), for clients that cannot upload, such as GraphiQL. Same size (UPLOAD_MAX_BYTES, checked on the text's length before decoding), format and pixel limits as an upload; text that is not base64 is INVALID_BASE64. Send this or image.",
      }),
      options: t.arg({
        type: ClassifyOptionsInput,
        required: false,
        description: "How to classify; defaults apply when omitted.",
      }),
    },
    resolve: (_, args, { runtime, loadImage, access, imageBudget }) =>
      withSpan("classify", { "images.count": 1 }, async (span) => {
        const options = classifyOptionsFor(access, args.options, runtime.config.limits);
        imageBudget.claim(1);
        span.setAttribute("vlm.mode", options.vlm);
        const { uploadMaxBytes } = runtime.config.limits;
        const image = await readImageArgument(args.image, args.imageBase64, uploadMaxBytes);
        return rememberImage(await loadImage(image, options), image);
      }),
  }),
);

builder.mutationField("classifyBatch", (t) =>
  t.field({
    type: [ClassifyResultRef],
    description:
      "Classify several images in one batch. Each gets a Classification or a ClassifyError, in the order sent; one bad image never fails the others.",
    args: {
      images: t.arg({
        type: ["File"],
        required: true,
        description: "The image files, at least one and at most BATCH_MAX_IMAGES (default 32).",
      }),
      options: t.arg({
        type: ClassifyOptionsInput,
        required: false,
        description: "How to classify, the same for every image.",
      }),
    },
    resolve: (_, args, { runtime, loadImage, access, imageBudget }) =>
      withSpan("classifyBatch", { "images.count": args.images.length }, async () => {
        const { limits } = runtime.config;
        const options = classifyOptionsFor(access, args.options, limits);
        if (args.images.length === 0) throw badInput("images must have at least one file");
        // Before any file is read: a batch over BATCH_MAX_IMAGES costs nothing but this check.
        imageBudget.claim(args.images.length);
        return Promise.all(
          args.images.map(async (file, index): Promise<ClassifyResult> => {
            try {
              const image = await readUpload(file, limits.uploadMaxBytes);
              return rememberImage(await loadImage(image, options), image);
            } catch (error) {
              if (error instanceof UserError) return { index, error };
              throw error;
            }
          }),
        );
      }),
  }),
);
