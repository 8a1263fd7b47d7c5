import { randomUUID } from "node:crypto";
import { UserError } from "../errors.ts";
import type { Models } from "../inference/load-models.ts";
import type { ImageLimits } from "../preprocess/decode-image.ts";
import { createCustomLabelSets } from "./custom-label-sets.ts";
import { type DecodedImage, decodeImage } from "./decode.ts";
import { cnnWeight, ensemble } from "./ensemble.ts";
import { decideRoute, type RoutingRules } from "./route.ts";
import { askClip, type SecondOpinion } from "./second-opinion.ts";
import { topK } from "./top-k.ts";
import type {
  Classification,
  ClassifyOptions,
  ImageInput,
  ModelScores,
  VlmReason,
} from "./types.ts";

export interface ClassifierOptions {
  models: Models;
  routing: RoutingRules;
  limits: ImageLimits;
  /** How long to wait for CLIP before answering with the CNN alone. */
  vlmTimeoutMs: number;
}

/** An answer, or the user's mistake that stopped this one image (its batch-mates still answer). */
export type ClassifyOutcome = Classification | UserError;

/**
 * The request pipeline, top to bottom: decode → CNN → route → CLIP → ensemble → top-k.
 * Works on a batch so each model runs once per batch; each image fails on its own.
 */
export function createClassifier({ models, routing, limits, vlmTimeoutMs }: ClassifierOptions) {
  const { pack, cnn, clip } = models;
  const customLabelSets = createCustomLabelSets(pack.templates);
  // Decode once when both models want the same input, which is the usual case.
  const clipSharesCnnInput =
    !clip || JSON.stringify(clip.vision.preprocess) === JSON.stringify(cnn.preprocess);

  async function classifyImages(
    inputs: readonly ImageInput[],
    options: ClassifyOptions,
  ): Promise<ClassifyOutcome[]> {
    const started = performance.now();
    const decoded = await Promise.all(
      inputs.map((input) => settle(decodeImage(input.bytes, cnn.preprocess, limits))),
    );
    const good = decoded.flatMap((d, index) =>
      d instanceof UserError ? [] : [{ index, image: d }],
    );

    const cnnStarted = performance.now();
    const cnnScores = await cnn.classify(good.map(({ image }) => image.tensor));
    const cnnMs = performance.now() - cnnStarted;

    const items = good.map(({ index, image }, i) => {
      const scores = cnnScores[i] as Float32Array;
      const cnnAnswer = modelScores(`${pack.name}/cnn`, scores, pack.labels, options.topK);
      const reason = decideRoute(cnnAnswer.top, options, routing);
      return { index, input: inputs[index] as ImageInput, image, scores, cnnAnswer, reason };
    });

    const routed = items.filter((item) => item.reason !== null);
    const opinion =
      routed.length === 0
        ? null
        : await askClip({
            clip,
            images: await clipInputs(routed),
            labelEmbeddings: (c) =>
              options.labels
                ? customLabelSets.get(c, options.labels)
                : Promise.resolve(c.labelEmbeddings),
            timeoutMs: vlmTimeoutMs,
          });

    const outcomes = new Array<ClassifyOutcome>(inputs.length);
    decoded.forEach((d, index) => {
      if (d instanceof UserError) outcomes[index] = d;
    });
    for (const item of items) {
      const routedAt = routed.indexOf(item);
      const itemOpinion = routedAt >= 0 ? opinion : null;
      outcomes[item.index] = compose({
        options,
        reason: item.reason,
        cnnScores: item.scores,
        cnnAnswer: item.cnnAnswer,
        opinion: itemOpinion,
        clipScores: itemOpinion?.ok ? (itemOpinion.scores[routedAt] as Float32Array) : null,
        image: { ...item.image.info, sha256: item.input.sha256 },
        timings: {
          decodeMs: item.image.decodeMs,
          cnnMs,
          vlmMs: itemOpinion ? itemOpinion.ms : null,
          totalMs: performance.now() - started,
        },
      });
    }
    return outcomes;
  }

  /** CLIP's input per routed image: the CNN's tensor when the configs agree, else decoded again. */
  async function clipInputs(items: { input: ImageInput; image: DecodedImage }[]) {
    if (clipSharesCnnInput || !clip) return items.map((item) => item.image.tensor);
    const spec = clip.vision.preprocess;
    return Promise.all(
      items.map(async ({ input }) => (await decodeImage(input.bytes, spec, limits)).tensor),
    );
  }

  function compose(parts: {
    options: ClassifyOptions;
    reason: VlmReason | null;
    cnnScores: Float32Array;
    cnnAnswer: ModelScores;
    opinion: SecondOpinion | null;
    clipScores: Float32Array | null;
    image: Classification["image"];
    timings: Classification["timings"];
  }): Classification {
    const { options, reason, cnnScores, cnnAnswer, opinion, clipScores, image, timings } = parts;
    const base = {
      id: randomUUID(),
      cnn: cnnAnswer,
      vlmReason: reason,
      cacheHit: false,
      image,
      timings,
      model: pack.name,
    };
    if (!opinion?.ok || !clipScores) {
      return {
        ...base,
        top: cnnAnswer.top,
        predictions: cnnAnswer.predictions,
        vlm: null,
        vlmUsed: false,
        fallback: opinion && !opinion.ok ? opinion.fallback : null,
        cnnWeight: null,
      };
    }
    const vlmAnswer = modelScores(`${pack.name}/clip`, clipScores, opinion.labels, options.topK);
    if (options.labels) {
      // The CNN cannot score labels it was not trained on: the answer is CLIP's zero-shot alone.
      return {
        ...base,
        top: vlmAnswer.top,
        predictions: vlmAnswer.predictions,
        vlm: vlmAnswer,
        vlmUsed: true,
        fallback: null,
        cnnWeight: null,
      };
    }
    const weight = cnnWeight(cnnAnswer.top.score, routing.low);
    const final = topK(ensemble(cnnScores, clipScores, weight), pack.labels, options.topK);
    return {
      ...base,
      top: final[0] as Classification["top"],
      predictions: final,
      vlm: vlmAnswer,
      vlmUsed: true,
      fallback: null,
      cnnWeight: weight,
    };
  }

  return { classifyImages, models, customLabelSets };
}

export type Classifier = ReturnType<typeof createClassifier>;

function modelScores(
  model: string,
  scores: Float32Array,
  labels: readonly string[],
  k: number,
): ModelScores {
  const predictions = topK(scores, labels, k);
  return { model, top: predictions[0] as ModelScores["top"], predictions };
}

/** A user's mistake becomes that image's outcome; anything else is a server fault and propagates. */
async function settle<T>(work: Promise<T>): Promise<T | UserError> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
}
