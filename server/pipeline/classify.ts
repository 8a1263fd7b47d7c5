import { randomUUID } from "node:crypto";
import type { EnsembleRule } from "../calibration/index.ts";
import { UserError } from "../errors/user-error.ts";
import type { PredictionStore } from "../feedback/prediction-store.ts";
import type { Models } from "../inference/load-models.ts";
import { createConcurrencyLimiter } from "../load-control/concurrency-limiter.ts";
import { softmax } from "../math/vector-math.ts";
import type { ImageLimits } from "../preprocess/decode-image.ts";
import { withSpan, withSpanSync } from "../telemetry/tracing.ts";
import { createCustomLabelSets } from "./custom-label-sets.ts";
import { createBoundedDecode, type DecodedImage } from "./decode.ts";
import { createEmbeddingsOut } from "./embeddings-out.ts";
import type { ImageEmbedder } from "./image-embeddings.ts";
import type { ModelRunners } from "./model-runner.ts";
import { createModelSteps, type ModelStepsOptions } from "./model-steps.ts";
import { refuseWhenFull } from "./overloaded.ts";
import { rememberAnswer } from "./remember-answer.ts";
import { decideRoute } from "./route.ts";
import { routeBeforeCnn } from "./route-before-cnn.ts";
import { askClip, type ClipStep, type SecondOpinion } from "./second-opinion.ts";
import { topK } from "./top-k.ts";
import type {
  Classification,
  ClassifyOptions,
  ClipReason,
  Fallback,
  ImageInput,
  ModelScores,
} from "./types.ts";

export interface ClassifierDeps extends Omit<ModelStepsOptions, "runners"> {
  /** The pack's models: labels, preprocessing, label embeddings and the text tower. */
  models: Models;
  /** The CNN and CLIP's vision tower as batch runners; the steps around them are built here. */
  runners: ModelRunners;
  /** The pack's routing and ensemble (calibrated, or the legacy rule), thresholds as configured. */
  rule: EnsembleRule;
  /** CNN top labels that always get a second opinion. */
  priorityClasses: ReadonlySet<string>;
  /**
   * Image limits, and the process-wide bound on decodes running at once. A decode holds the
   * full-size pixels in memory (up to the pixel limit × 4 channels × 2 bytes for 16-bit RGBA),
   * so many large images at once are a memory problem before they are a CPU one: past the bound
   * they wait, past its queue they are refused as OVERLOADED.
   */
  decode: { limits: ImageLimits; concurrency: number; queueMax: number };
  /** How long to wait for CLIP before answering with the CNN alone. */
  clipTimeoutMs: number;
  /** Every answer is kept here for a while, so feedback can score it (in process or Redis). */
  predictions: PredictionStore;
}

/** An answer, or the user's mistake that stopped this one image (its batch-mates still answer). */
export type ClassifyOutcome = Classification | UserError;

/** One image's full score vectors over the pack's labels, in label order, before any rule. */
export interface ImageScores {
  /** The CNN's log-probabilities. */
  cnn: Float32Array;
  /** CLIP's logits (logit_scale · cosine); null when CLIP did not answer, and why. */
  clip: Float32Array | null;
  fallback: Fallback | null;
}

// What `scoreImages` asks of the shared steps: CLIP on every image, over the pack's labels.
const EVERY_IMAGE_TO_CLIP: ClassifyOptions = { topK: 1, vlm: "FORCE", labels: null };

interface Scored {
  index: number;
  input: ImageInput;
  image: DecodedImage;
  cnnScores: Float32Array;
  cnnAnswer: ModelScores;
  cnnMs: number;
  reason: ClipReason | null;
}

/**
 * The request pipeline, top to bottom: decode → CNN → route → CLIP (cache, batcher) →
 * ensemble → top-k. Takes one request's images at once; each image fails on its own.
 */
export function createClassifier(deps: ClassifierDeps) {
  const { models, rule, priorityClasses, decode, clipTimeoutMs, metrics, predictions } = deps;
  const routing = { routes: rule.routes, priorityClasses };
  const { pack, cnn, clip } = models;
  const steps = createModelSteps(deps);
  const decodeSlots = createConcurrencyLimiter({
    concurrency: decode.concurrency,
    maxQueue: decode.queueMax,
  });
  metrics.sources.decodes = () => ({ active: decodeSlots.active, waiting: decodeSlots.waiting });
  const decodeImage = createBoundedDecode({ limits: decode.limits, slots: decodeSlots });
  const customLabelSets = createCustomLabelSets(pack.templates);
  // Decode once when both models want the same input, which is the usual case.
  const clipSharesCnnInput =
    !clip || JSON.stringify(clip.vision.preprocess) === JSON.stringify(cnn.preprocess);

  async function classifyImages(
    inputs: readonly ImageInput[],
    request: ClassifyOptions,
  ): Promise<ClassifyOutcome[]> {
    const started = performance.now();
    const clipStep = clipStepFor(request);
    const decodes = inputs.map((input) => settle(decodeFor(input, request)));
    const besideCnn = routeBeforeCnn(request) ? clipBesideCnn(inputs, decodes, clipStep) : null;
    // Its failure is a decode's, which the CNN's side reports below.
    besideCnn?.catch(() => {});
    const outcomes = await Promise.all(
      inputs.map(async (input, index) => {
        const image = await (decodes[index] as Promise<DecodedImage | UserError>);
        if (image instanceof UserError) return image;
        return settle(scoreWithCnn(input, index, image, request));
      }),
    );
    const scored = outcomes.filter((o): o is Scored => !(o instanceof UserError));

    const routed = scored.filter((item) => item.reason !== null);
    const opinions = besideCnn
      ? await besideCnn.then((found) => routed.map((item) => found.get(item.input)))
      : await secondOpinions(routed, clipStep);

    const answers = outcomes.map((outcome) => {
      if (outcome instanceof UserError) {
        metrics.images.inc({ result: outcome.code.toLowerCase() });
        return outcome;
      }
      const opinion = outcome.reason ? (opinions[routed.indexOf(outcome)] ?? null) : null;
      const answer = withSpanSync(
        "ensemble",
        {
          "vlm.reason": outcome.reason ?? "none",
          "vlm.fallback": opinion?.ok === false ? opinion.fallback : "none",
        },
        () => compose(outcome, opinion, request, performance.now() - started),
      );
      record(answer, request);
      return answer;
    });
    // Stored before the ids go out, so feedback can reach any replica at once. Never throws.
    await Promise.all(
      answers.map((answer) =>
        answer instanceof UserError ? undefined : rememberAnswer(predictions, answer, request),
      ),
    );
    return answers;
  }

  /**
   * Each image's full CNN and CLIP score vectors through the same decode, CNN and CLIP steps
   * as `classifyImages` (what calibration is fitted from); a bad image fails alone.
   */
  async function scoreImages(inputs: readonly ImageInput[]): Promise<(ImageScores | UserError)[]> {
    const outcomes = await Promise.all(
      inputs.map(async (input, index) => {
        const image = await settle(decodeFor(input, EVERY_IMAGE_TO_CLIP));
        if (image instanceof UserError) return image;
        return settle(scoreWithCnn(input, index, image, EVERY_IMAGE_TO_CLIP));
      }),
    );
    const scored = outcomes.filter((o): o is Scored => !(o instanceof UserError));
    const opinions = await secondOpinions(scored, clipStepFor(EVERY_IMAGE_TO_CLIP));
    return outcomes.map((outcome) => {
      if (outcome instanceof UserError) return outcome;
      const opinion = opinions[scored.indexOf(outcome)];
      return opinion?.ok
        ? { cnn: outcome.cnnScores, clip: opinion.logits, fallback: null }
        : { cnn: outcome.cnnScores, clip: null, fallback: opinion?.fallback ?? "UNAVAILABLE" };
    });
  }

  /** How CLIP is asked for one request: over the pack's labels or the caller's own. */
  function clipStepFor(request: ClassifyOptions): ClipStep {
    return {
      clip,
      embedImage: steps.embedImage,
      labelEmbeddings: (c) =>
        request.labels
          ? customLabelSets.get(c, request.labels)
          : Promise.resolve(c.labelEmbeddings),
      timeoutMs: clipTimeoutMs,
    };
  }

  /**
   * CLIP's answers for the routed images. CLIP's own decode (when its preprocessing differs from
   * the CNN's and the decode did not already make it) runs only on an embedding-cache miss: the
   * embedder calls tensorOnMiss inside the cache's compute.
   */
  function secondOpinions(routed: readonly Scored[], clipStep: ClipStep) {
    return withSpan("clip", { "clip.images": routed.length }, () =>
      askClip(
        clipStep,
        routed.map((item) => ({
          sha256: item.input.sha256,
          tensorOnMiss: () => clipInput(item),
        })),
      ),
    );
  }

  async function decodeFor(input: ImageInput, request: ClassifyOptions) {
    // CLIP's own input from the same decode, unless CLIP shares the CNN's or is never asked.
    const clipSpec =
      clip && !clipSharesCnnInput && request.vlm !== "OFF" ? clip.vision.preprocess : undefined;
    const image = await withSpan("decode", { "image.bytes": input.bytes.byteLength }, () =>
      decodeImage(input.bytes, cnn.preprocess, undefined, clipSpec),
    );
    metrics.decode.observe(image.decodeMs / 1000);
    return image;
  }

  /**
   * CLIP's opinions when the options alone route every image to it: started once the request's
   * images are decoded, beside the CNN, so a lone request waits for the slower of the two models
   * rather than their sum. The images reach CLIP's batcher together, as one batch. Never throws
   * for CLIP (askClip does not); a server fault in a decode rejects it.
   */
  async function clipBesideCnn(
    inputs: readonly ImageInput[],
    decodes: readonly Promise<DecodedImage | UserError>[],
    clipStep: ClipStep,
  ): Promise<Map<ImageInput, SecondOpinion>> {
    const images = await Promise.all(decodes);
    const ready = inputs.flatMap((input, i) => {
      const image = images[i];
      return image && !(image instanceof UserError) ? [{ input, image }] : [];
    });
    const opinions = await withSpan(
      "clip",
      { "clip.images": ready.length, "clip.beside_cnn": true },
      () =>
        askClip(
          clipStep,
          ready.map((item) => ({
            sha256: item.input.sha256,
            tensorOnMiss: () => clipInput(item),
          })),
        ),
    );
    return new Map(ready.map((item, i) => [item.input, opinions[i] as SecondOpinion]));
  }

  async function scoreWithCnn(
    input: ImageInput,
    index: number,
    image: DecodedImage,
    request: ClassifyOptions,
  ) {
    const cnnStarted = performance.now();
    const cnnScores = await withSpan("cnn", {}, () =>
      refuseWhenFull("the CNN's queue is full", () => steps.cnn.submit(image.tensor)),
    );
    // The CNN's own answer is its calibrated distribution: what the routing threshold reads.
    const { probabilities, confidence } = rule.cnn(cnnScores);
    const cnnAnswer = modelScores(`${pack.name}/cnn`, probabilities, pack.labels, request.topK);
    const cnnTop = { label: cnnAnswer.top.label, score: confidence };
    const reason = withSpanSync(
      "route",
      { "cnn.label": cnnTop.label, "cnn.confidence": confidence },
      () => decideRoute(cnnTop, request, routing),
    );
    const cnnMs = performance.now() - cnnStarted;
    return {
      index,
      input,
      image,
      cnnScores,
      cnnAnswer,
      cnnMs,
      reason,
    } satisfies Scored;
  }

  /** CLIP's input: the CNN's tensor when the configs agree, else CLIP's from the same decode. */
  async function clipInput(item: Pick<Scored, "input" | "image">): Promise<Float32Array> {
    if (clipSharesCnnInput || !clip) return item.image.tensor;
    if (item.image.secondTensor) return item.image.secondTensor;
    return (await decodeImage(item.input.bytes, clip.vision.preprocess, item.image.info)).tensor;
  }

  function compose(
    item: Scored,
    opinion: SecondOpinion | null,
    request: ClassifyOptions,
    totalMs: number,
  ): Classification {
    const { cnnAnswer, cnnScores, reason } = item;
    const base = {
      id: randomUUID(),
      cnn: cnnAnswer,
      vlmReason: reason,
      image: { ...item.image.info, sha256: item.input.sha256 },
      timings: {
        decodeMs: item.image.decodeMs,
        cnnMs: item.cnnMs,
        vlmMs: opinion ? opinion.ms : null,
        totalMs,
      },
      model: pack.name,
    };
    if (!opinion?.ok) {
      return {
        ...base,
        top: cnnAnswer.top,
        predictions: cnnAnswer.predictions,
        vlm: null,
        vlmUsed: false,
        fallback: opinion ? opinion.fallback : null,
        cnnWeight: null,
        cacheHit: false,
      };
    }
    const clipAnswer = modelScores(
      `${pack.name}/clip`,
      softmax(opinion.logits),
      opinion.labels,
      request.topK,
    );
    const shared = {
      ...base,
      vlm: clipAnswer,
      vlmUsed: true,
      fallback: null,
      cacheHit: opinion.cacheHit,
    };
    if (request.labels) {
      // The CNN cannot score labels it was not trained on: the answer is CLIP's zero-shot alone.
      return {
        ...shared,
        top: clipAnswer.top,
        predictions: clipAnswer.predictions,
        cnnWeight: null,
      };
    }
    const combined = rule.combine(cnnScores, opinion.logits);
    const final = topK(combined.probabilities, pack.labels, request.topK);
    return {
      ...shared,
      top: final[0] as Classification["top"],
      predictions: final,
      cnnWeight: combined.cnnWeight,
    };
  }

  function record(answer: Classification, request: ClassifyOptions) {
    metrics.images.inc({ result: "ok" });
    metrics.cnnConfidence.observe(answer.cnn.top.score);
    // Callers' own labels are free text: one series each would let clients explode cardinality.
    metrics.predictions.inc({ label: request.labels ? "(custom labels)" : answer.top.label });
    if (answer.vlmReason) {
      metrics.clipInvocations.inc({ reason: answer.vlmReason.toLowerCase() });
      // Model time only: cache hits would pull the percentiles towards zero.
      if (answer.timings.vlmMs !== null && !answer.cacheHit) {
        metrics.clipLatency.observe(answer.timings.vlmMs / 1000);
      }
    }
    if (answer.fallback) metrics.clipFallbacks.inc({ cause: answer.fallback.toLowerCase() });
  }

  // Embeddings for clients, through the same CLIP step and decode slots as the second opinion.
  const embeddings = createEmbeddingsOut({
    models,
    // Looked up on each call: tests may replace the step after the classifier is built.
    embedImage: steps.embedImage
      ? (image, timeoutMs) => (steps.embedImage as ImageEmbedder)(image, timeoutMs)
      : null,
    decodeImage: (bytes, spec) => decodeImage(bytes, spec),
    clipTimeoutMs,
  });

  return {
    classifyImages,
    scoreImages,
    embeddings,
    rule,
    models,
    steps,
    customLabelSets,
    decodeSlots,
  };
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
