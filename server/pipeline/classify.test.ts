import { describe, expect, it } from "vitest";
import { UserError } from "../errors/user-error.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import { METRICS } from "../telemetry/metric-names.ts";
import {
  classifyOne,
  createFakePipeline,
  type FakePipelineOptions,
  fakeImage,
  fakeImages,
} from "../testing/fake-pipeline.ts";
import type { ClassifyOptions, Fallback, ImageInput } from "./types.ts";

// The fake pack's labels are cat, dog and fox; CLIP embeds every image as "dog".
const SURE_CAT = [0.9, 0.06, 0.04];
const UNSURE_CAT = [0.5, 0.3, 0.2];
const auto: ClassifyOptions = { topK: 3, vlm: "AUTO", labels: null };
const force: ClassifyOptions = { topK: 3, vlm: "FORCE", labels: null };

async function answerWith(options: FakePipelineOptions, request: ClassifyOptions) {
  const fake = createFakePipeline(options);
  const answer = await classifyOne(fake.classifier, await fakeImage(), request);
  return { ...fake, answer };
}

/** The samples of one metric, as exported lines. */
const samples = async (fake: ReturnType<typeof createFakePipeline>, name: string) =>
  (await fake.metrics.registry.getSingleMetricAsString(name))
    .split("\n")
    .filter((line) => !line.startsWith("#"));

describe("createClassifier on fake runners", () => {
  describe("routing: whether CLIP is asked, and why", () => {
    it("answers a sure CNN alone under AUTO, without calling CLIP", async () => {
      const { answer, calls } = await answerWith({ cnnScores: SURE_CAT }, auto);
      expect(answer).toMatchObject({ vlmReason: null, vlmUsed: false, fallback: null, vlm: null });
      expect(answer.top.label).toBe("cat");
      expect(answer.predictions).toEqual(answer.cnn.predictions);
      expect(calls.clip).toBe(0);
    });

    it.each<[string, FakePipelineOptions, ClassifyOptions, string]>([
      ["an unsure CNN under AUTO", { cnnScores: UNSURE_CAT }, auto, "LOW_CONFIDENCE"],
      [
        "a sure CNN on a priority class",
        { cnnScores: SURE_CAT, priorityClasses: ["cat"] },
        auto,
        "PRIORITY_CLASS",
      ],
      ["a sure CNN under FORCE", { cnnScores: SURE_CAT }, force, "FORCED"],
      [
        "a sure CNN with the caller's own labels",
        { cnnScores: SURE_CAT },
        { ...auto, labels: ["a", "b", "c"] },
        "CUSTOM_LABELS",
      ],
    ])("asks CLIP for %s", async (_, options, request, reason) => {
      const fake = await answerWith(options, request);
      expect(fake.answer).toMatchObject({ vlmReason: reason, vlmUsed: true, fallback: null });
      expect(fake.calls.clip).toBe(1);
      expect(await samples(fake, METRICS.clipInvocations)).toContain(
        `${METRICS.clipInvocations}{reason="${reason.toLowerCase()}"} 1`,
      );
    });

    it("never asks CLIP under OFF, however unsure the CNN", async () => {
      const { answer, calls } = await answerWith(
        { cnnScores: UNSURE_CAT },
        { ...auto, vlm: "OFF" },
      );
      expect(answer).toMatchObject({ vlmReason: null, vlmUsed: false, vlm: null });
      expect(calls.clip).toBe(0);
    });
  });

  describe("fallbacks: the CNN's answer, saying why CLIP's is missing", () => {
    it.each<Fallback>(["TIMEOUT", "ERROR", "OVERLOADED", "UNAVAILABLE"])(
      "%s from CLIP's step",
      async (fallback) => {
        const fake = await answerWith(
          { cnnScores: UNSURE_CAT, embed: async () => ({ ok: false, fallback, ms: 1 }) },
          auto,
        );
        expect(fake.answer).toMatchObject({
          vlmReason: "LOW_CONFIDENCE",
          vlmUsed: false,
          fallback,
          vlm: null,
          cnnWeight: null,
        });
        expect(fake.answer.top).toEqual(fake.answer.cnn.top);
        expect(fake.answer.predictions).toEqual(fake.answer.cnn.predictions);
        expect(await samples(fake, METRICS.clipFallbacks)).toContain(
          `${METRICS.clipFallbacks}{cause="${fallback.toLowerCase()}"} 1`,
        );
      },
    );

    it("UNAVAILABLE without asking, when the pack's CLIP did not load", async () => {
      const { answer, calls } = await answerWith({ cnnScores: SURE_CAT, withoutClip: true }, force);
      expect(answer).toMatchObject({
        vlmReason: "FORCED",
        vlmUsed: false,
        fallback: "UNAVAILABLE",
      });
      expect(calls.clip).toBe(0);
    });
  });

  describe("ensemble", () => {
    it("combines both models' scores with the pack's rule, and keeps each model's own answer", async () => {
      const { answer, classifier, models } = await answerWith({ cnnScores: UNSURE_CAT }, auto);
      expect(answer.cnn.top.label).toBe("cat");
      expect(answer.vlm?.top.label).toBe("dog");
      expect(answer.vlm?.model).toBe("fake/clip");
      // CLIP's logits for a "dog" embedding: logit scale × cosine with each label's row.
      const logits = Float32Array.of(0, 10, 0);
      const combined = classifier.rule.combine(Float32Array.from(UNSURE_CAT, Math.log), logits);
      expect(answer.cnnWeight).toBe(combined.cnnWeight);
      expect(answer.cnnWeight).toBeGreaterThan(0);
      expect(answer.cnnWeight).toBeLessThan(1);
      const expected = [...combined.probabilities]
        .map((score, i) => ({ label: models.pack.labels[i], score }))
        .sort((a, b) => b.score - a.score);
      expect(answer.predictions.map((p) => p.label)).toEqual(expected.map((p) => p.label));
      answer.predictions.forEach((p, i) => {
        expect(p.score).toBeCloseTo(expected[i]?.score ?? Number.NaN, 6);
      });
      // An unsure CNN is outvoted by a sure CLIP.
      expect(answer.top.label).toBe("dog");
    });

    it("returns topK predictions of each answer", async () => {
      const { answer } = await answerWith({ cnnScores: UNSURE_CAT }, { ...force, topK: 2 });
      expect(answer.predictions).toHaveLength(2);
      expect(answer.cnn.predictions).toHaveLength(2);
      expect(answer.vlm?.predictions).toHaveLength(2);
    });
  });

  describe("custom labels", () => {
    it("answers with CLIP's zero-shot scores over the caller's labels alone", async () => {
      const labels = ["a sofa", "a kitten", "a lamp"];
      const { answer } = await answerWith({ cnnScores: SURE_CAT }, { ...auto, labels });
      // The fake text tower embeds a caller's label i like the pack's label i: "a kitten" is "dog".
      expect(answer.top.label).toBe("a kitten");
      expect(answer.predictions.map((p) => p.label).sort()).toEqual([...labels].sort());
      expect(answer.vlm?.top.label).toBe("a kitten");
      expect(answer.cnnWeight).toBeNull();
      // The CNN's own answer is still over the pack's labels.
      expect(answer.cnn.top.label).toBe("cat");
    });

    it("embeds a label set once for every image and request that uses it", async () => {
      const fake = createFakePipeline({ cnnScores: SURE_CAT });
      const request = { ...auto, labels: ["x", "y"] };
      await fake.classifier.classifyImages(await fakeImages(2), request);
      await fake.classifier.classifyImages([await fakeImage(5)], request);
      expect(fake.classifier.customLabelSets.size).toBe(1);
    });
  });

  describe("a request's images", () => {
    it("fail alone: a bad image is its own UserError, the others are answered in order", async () => {
      const fake = createFakePipeline({ cnnScores: SURE_CAT });
      const [a, b] = (await fakeImages(2)) as [ImageInput, ImageInput];
      const junk = new TextEncoder().encode("not an image");
      const inputs = [a, { bytes: junk, sha256: sha256Hex(junk) }, b];
      const outcomes = await fake.classifier.classifyImages(inputs, auto);
      expect(outcomes[1]).toBeInstanceOf(UserError);
      expect((outcomes[1] as UserError).code).toBe("INVALID_IMAGE");
      expect(outcomes.map((o) => (o instanceof UserError ? null : o.image.sha256))).toEqual([
        a.sha256,
        null,
        b.sha256,
      ]);
      const images = await samples(fake, METRICS.images);
      expect(images).toContain(`${METRICS.images}{result="ok"} 2`);
      expect(images).toContain(`${METRICS.images}{result="invalid_image"} 1`);
    });

    it("keeps every answer for feedback under its id", async () => {
      const { answer, predictions } = await answerWith({ cnnScores: UNSURE_CAT }, auto);
      const stored = await predictions.get(answer.id);
      expect(stored).toBeDefined();
    });
  });
});
