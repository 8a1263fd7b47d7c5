import type { UserError } from "../../server/errors/user-error.ts";
import type { Classification } from "../../server/pipeline/types.ts";
import { builder } from "../builder.ts";
import { ClassificationRef } from "./classification.ts";
import { ErrorCodeEnum } from "./enums.ts";

/** One image of a batch that could not be classified; the others still are. */
export interface ClassifyItemError {
  index: number;
  error: UserError;
}

export const ClassifyErrorRef = builder.objectRef<ClassifyItemError>("ClassifyError").implement({
  description: "Why one image of a batch got no answer.",
  fields: (t) => ({
    index: t.exposeInt("index", { description: "Position of the image in `images`." }),
    code: t.field({
      type: ErrorCodeEnum,
      description: "What was wrong with the image; branch on this.",
      resolve: (e) => e.error.code,
    }),
    message: t.string({
      description: "The same in words, for people.",
      resolve: (e) => e.error.message,
    }),
  }),
});

export const ClassifyResultRef = builder.unionType("ClassifyResult", {
  description: "Per image of a batch: its classification, or the typed error that stopped it.",
  types: [ClassificationRef, ClassifyErrorRef],
  resolveType: (value) => ("error" in value ? ClassifyErrorRef : ClassificationRef),
});

export type ClassifyResult = Classification | ClassifyItemError;
