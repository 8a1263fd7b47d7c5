import { builder } from "../builder.ts";
import { VlmModeEnum } from "./enums.ts";

export const ClassifyOptionsInput = builder.inputType("ClassifyOptions", {
  description: "How to classify. Every field has a default, so the whole argument is optional.",
  fields: (t) => ({
    topK: t.int({
      required: false,
      defaultValue: 5,
      description: "How many predictions to return (1–100).",
    }),
    vlm: t.field({
      type: VlmModeEnum,
      required: false,
      defaultValue: "AUTO",
      description: "Whether CLIP may, must or must not give a second opinion.",
    }),
    labels: t.stringList({
      required: false,
      description:
        "Your own labels for zero-shot classification by CLIP (the text tower embeds them): 2 to CUSTOM_LABELS_MAX (default 256) distinct labels of 1 to 100 characters each, spaces at either end trimmed; not with vlm: OFF. The answer is then over these labels.",
    }),
  }),
});
