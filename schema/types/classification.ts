import type {
  Classification,
  LabelScore,
  ModelScores,
  Timings,
} from "../../server/pipeline/types.ts";
import type { ImageInfo } from "../../server/preprocess/decode-image.ts";
import { builder } from "../builder.ts";
import { FallbackEnum, VlmReasonEnum } from "./enums.ts";

export const LabelScoreRef = builder.objectRef<LabelScore>("LabelScore").implement({
  description: "A label and its probability.",
  fields: (t) => ({
    label: t.exposeString("label", {
      description: "One of the pack's labels (see Query.labels), or of the caller's own labels.",
    }),
    score: t.exposeFloat("score", { description: "Probability in [0, 1]." }),
  }),
});

export const ModelScoresRef = builder.objectRef<ModelScores>("ModelScores").implement({
  description: "One model's own answer, before the ensemble.",
  fields: (t) => ({
    model: t.exposeString("model", {
      description: "Which model answered: the pack name and the model, e.g. fashion-mnist/cnn.",
    }),
    top: t.field({
      type: LabelScoreRef,
      description: "This model's best prediction.",
      resolve: (s) => s.top,
    }),
    predictions: t.field({
      type: [LabelScoreRef],
      description: "This model's topK predictions, best first.",
      resolve: (s) => s.predictions,
    }),
  }),
});

const TimingsRef = builder.objectRef<Timings>("Timings").implement({
  description:
    "Where the time went, in milliseconds. Model times are for the whole batch the image ran in.",
  fields: (t) => ({
    decodeMs: t.exposeFloat("decodeMs", {
      description: "Checking, decoding and preprocessing the image for the CNN.",
    }),
    cnnMs: t.exposeFloat("cnnMs", {
      description: "The CNN, including the wait for its batch, and the routing decision.",
    }),
    vlmMs: t.exposeFloat("vlmMs", {
      nullable: true,
      description:
        "CLIP's second opinion, including its queue (near 0 on a cache hit). Null when CLIP was not asked.",
    }),
    totalMs: t.exposeFloat("totalMs", {
      description: "From the start of classification to the answer, for this image.",
    }),
  }),
});

const ImageInfoRef = builder.objectRef<ImageInfo & { sha256: string }>("ImageInfo").implement({
  description: "The uploaded image as the service read it (EXIF orientation applied).",
  fields: (t) => ({
    width: t.exposeInt("width", { description: "In pixels." }),
    height: t.exposeInt("height", { description: "In pixels." }),
    format: t.exposeString("format", {
      description: "Detected from the bytes: jpeg, png, webp, gif or avif.",
    }),
    bytes: t.exposeInt("bytes", { description: "Size of the uploaded file." }),
    sha256: t.exposeString("sha256", {
      description:
        "Hex SHA-256 of the file: identical files are classified once per request and share CLIP's cached embedding.",
    }),
  }),
});

export const ClassificationRef = builder.objectRef<Classification>("Classification").implement({
  description: "The answer for one image: the final predictions and how they were reached.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "Identifies this answer, e.g. to send feedback on it." }),
    top: t.field({
      type: LabelScoreRef,
      description: "The best final prediction.",
      resolve: (c) => c.top,
    }),
    predictions: t.field({
      type: [LabelScoreRef],
      description: "The topK final predictions, best first (the ensemble when CLIP answered).",
      resolve: (c) => c.predictions,
    }),
    cnn: t.field({
      type: ModelScoresRef,
      description: "The CNN's own answer.",
      resolve: (c) => c.cnn,
    }),
    vlm: t.field({
      type: ModelScoresRef,
      nullable: true,
      description: "CLIP's own zero-shot answer; null when it was not asked or fell back.",
      resolve: (c) => c.vlm,
    }),
    vlmUsed: t.exposeBoolean("vlmUsed", {
      description: "True when CLIP's answer is part of the predictions.",
    }),
    vlmReason: t.field({
      type: VlmReasonEnum,
      nullable: true,
      description: "Why CLIP was asked; null when it was not.",
      resolve: (c) => c.vlmReason,
    }),
    fallback: t.field({
      type: FallbackEnum,
      nullable: true,
      description: "Why CLIP was asked but the CNN answered alone; null otherwise.",
      resolve: (c) => c.fallback,
    }),
    cnnWeight: t.exposeFloat("cnnWeight", {
      nullable: true,
      description:
        "The CNN's weight in the ensemble (CLIP's is 1 − cnnWeight); null when one model answered.",
    }),
    cacheHit: t.exposeBoolean("cacheHit", {
      description:
        "True when CLIP's part of the answer needed no CLIP call: its image embedding came from the cache, or the whole answer did (resultCacheHit).",
    }),
    resultCacheHit: t.boolean({
      description:
        "True when this answer was copied from an identical earlier request (same image bytes, same options, same model pack and routing): no model ran, and timings are this request's. It is still a new answer, with its own id for feedback. Only complete answers are kept, never a fallback.",
      resolve: (c) => c.resultCacheHit === true,
    }),
    timings: t.field({
      type: TimingsRef,
      description: "Where the time went.",
      resolve: (c) => c.timings,
    }),
    image: t.field({
      type: ImageInfoRef,
      description: "The image as the service read it.",
      resolve: (c) => c.image,
    }),
    model: t.exposeString("model", { description: "The model pack that answered." }),
  }),
});
