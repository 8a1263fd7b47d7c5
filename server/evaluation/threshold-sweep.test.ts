import { createHash } from "node:crypto";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { createPredictionStore } from "../feedback/prediction-store.ts";
import { createClassifier } from "../pipeline/classify.ts";
import { ensemble } from "../pipeline/ensemble.ts";
import type { RoutingRules } from "../pipeline/route.ts";
import { topK } from "../pipeline/top-k.ts";
import type { Classification } from "../pipeline/types.ts";
import { createRuntime, type Runtime } from "../runtime/runtime.ts";
import {
  hasSharedData,
  IMAGENET_MINI_PACK,
  IMAGENET_SAMPLES,
  warnIfNoSharedData,
} from "../testing/shared-data.ts";
import { type EvaluationReport, evaluate } from "./evaluate.ts";
import { labelledFolder, readLabelsTsv } from "./labelled-folder.ts";
import {
  fullScores,
  type ImageScores,
  replay,
  sweepTable,
  sweepThresholds,
} from "./threshold-sweep.ts";

const LABELS = ["cat", "dog", "fox"];
const rules = (high: number, low: number, priority: string[] = []): RoutingRules => ({
  high,
  low,
  priorityClasses: new Set(priority),
});
const image = (label: string, cnn: number[], clip: number[]): ImageScores => ({
  label,
  cnn: Float32Array.from(cnn),
  clip: Float32Array.from(clip),
});
const cell = (sweep: ReturnType<typeof sweepThresholds>, high: number, low: number) =>
  sweep.cells.find((c) => c.high === high && c.low === low);

// 1: the CNN is unsure and wrong, CLIP fixes it whenever asked. 2: the CNN is sure and right,
// CLIP wrong but outweighed. 3: the CNN is right at 0.6, CLIP says dog: the ensemble keeps cat
// only while low < 0.6 (the CNN's weight passes 0.5 at low).
const IMAGES = [
  image("dog", [0.5, 0.45, 0.05], [0.05, 0.9, 0.05]),
  image("fox", [0.04, 0.04, 0.92], [0.9, 0.05, 0.05]),
  image("cat", [0.6, 0.4, 0], [0.4, 0.6, 0]),
];

describe("sweepThresholds on hand-made distributions", () => {
  it("routes nothing at high = 0: every answer is the CNN's", () => {
    const sweep = sweepThresholds(IMAGES, LABELS, { rules: rules(0, 0), highs: [0], lows: [0] });
    expect(sweep.cells).toEqual([{ high: 0, low: 0, top1: 2 / 3, routedToClip: 0 }]);
  });

  it("routes every unsure image below high, and priority classes even when sure", () => {
    const sweep = sweepThresholds(IMAGES, LABELS, { rules: rules(0.85, 0.3) });
    expect(cell(sweep, 0.85, 0.3)?.routedToClip).toBeCloseTo(2 / 3);
    const priority = sweepThresholds(IMAGES, LABELS, { rules: rules(0.85, 0.3, ["fox"]) });
    expect(priority.current.routedToClip).toBe(1);
  });

  it("weights the CNN by the documented ramp around low", () => {
    // Image 3 at low 0.3: CNN weight 0.5 + 0.5 · 0.3 / 0.7 ≈ 0.714, cat 0.543 beats dog 0.457.
    // At low 0.7: 0.5 · 0.6 / 0.7 ≈ 0.429, dog 0.514 beats cat 0.486.
    const third = IMAGES[2] as ImageScores;
    const top = { label: "cat", score: 0.6 };
    expect(replay(third, top, LABELS, rules(0.85, 0.3))).toEqual({ label: "cat", routed: true });
    expect(replay(third, top, LABELS, rules(0.85, 0.7))).toEqual({ label: "dog", routed: true });
  });

  it("covers low ≤ high only, adds and marks the current thresholds, and picks the best", () => {
    const sweep = sweepThresholds(IMAGES, LABELS, { rules: rules(0.72, 0.33) });
    expect(sweep.cells.every((c) => c.low <= c.high)).toBe(true);
    expect(cell(sweep, 0.5, 0.6)).toBeUndefined();
    expect(sweep.current).toEqual({ high: 0.72, low: 0.33, top1: 1, routedToClip: 2 / 3 });
    // All right needs image 1 routed (high > 0.5); high 0.6 does it without asking CLIP about 3.
    expect(sweep.best).toEqual({ high: 0.6, low: 0.3, top1: 1, routedToClip: 1 / 3 });
    const table = sweepTable(sweep);
    expect(table).toContain("| 0.72 |");
    expect(table).toContain("100.0 % · 66.7 % ◆");
    expect(table).toContain("100.0 % · 33.3 % ★");
  });

  it("counts images without scores as wrong", () => {
    const sweep = sweepThresholds(IMAGES, LABELS, { rules: rules(0, 0), total: 6 });
    expect(sweep.current.top1).toBeCloseTo(2 / 6);
  });
});

describe("fullScores", () => {
  it("pairs up a repeated label's CNN and CLIP scores through the ensemble", () => {
    const labels = ["a", "b", "a"];
    const cnn = Float32Array.of(0.5, 0.2, 0.3);
    const clip = Float32Array.of(0.1, 0.3, 0.6);
    const weight = 0.7;
    const list = (scores: Float32Array) => topK(scores, labels, labels.length);
    const answer = {
      cnn: { predictions: list(cnn) },
      vlm: { predictions: list(clip) },
      predictions: list(ensemble(cnn, clip, weight)),
      cnnWeight: weight,
    } as Classification;
    expect(fullScores(answer, labels, "a")).toEqual({ label: "a", cnn, clip });
  });
});

warnIfNoSharedData("the threshold sweep checks on real images");

describe.skipIf(!hasSharedData)("sweepThresholds on real images (imagenet-mini)", () => {
  let runtime: Runtime;
  let report: EvaluationReport;
  const scores: ImageScores[] = [];
  let files: Awaited<ReturnType<typeof readLabelsTsv>>;

  beforeAll(async () => {
    runtime = await createRuntime(
      loadConfig({ MODEL_PACK: IMAGENET_MINI_PACK, VLM_TIMEOUT_MS: "60000" }),
    );
    // Every photo, so the ones whose label the pack lists twice (sunglasses, missile) are in.
    files = await readLabelsTsv(join(IMAGENET_SAMPLES, "labels.tsv"));
    const { labels } = runtime.models.pack;
    report = await evaluate(
      runtime.classifier,
      labelledFolder(IMAGENET_SAMPLES, files, 32),
      () => {},
      {
        onFullAnswer: (answer, label) => {
          const full = fullScores(answer, labels, label);
          if (full) scores.push(full);
        },
      },
    );
  }, 180_000);

  it("has every image's distributions, each summing to one", () => {
    expect(report.fallbacks).toBe(0);
    expect(scores).toHaveLength(report.images);
    const sum = (v: Float32Array) => v.reduce((a, b) => a + b, 0);
    for (const { cnn, clip } of scores) {
      expect(sum(cnn)).toBeCloseTo(1, 4);
      expect(sum(clip)).toBeCloseTo(1, 4);
    }
  });

  it("reproduces the service-default accuracy and routing exactly at the current thresholds", () => {
    const { high, low } = runtime.config.routing;
    const sweep = sweepThresholds(scores, runtime.models.pack.labels, {
      rules: rules(high, low),
      total: report.images,
    });
    expect(sweep.current).toEqual({
      high,
      low,
      top1: report.service.top1,
      routedToClip: report.routedToClip,
    });
    expect(cell(sweep, 0, 0)).toBeUndefined();
    const cnnOnly = sweepThresholds(scores, runtime.models.pack.labels, {
      rules: rules(0, 0),
      total: report.images,
    });
    expect(cnnOnly.current).toMatchObject({ top1: report.cnn.top1, routedToClip: 0 });
  });

  it.each([
    [0.95, 0.3],
    [0.6, 0.6],
  ])(
    "answers image by image as a classifier running high %s, low %s",
    async (high, low) => {
      const { config } = runtime;
      const clip = runtime.models.clip;
      const classifier = createClassifier({
        models: runtime.models,
        runners: {
          cnn: (tensors) => runtime.models.cnn.classify(tensors),
          clipVision: clip ? (tensors) => clip.vision.embed(tensors) : null,
        },
        batching: config.batching,
        embeddingCache: { maxBytes: config.embeddingCacheBytes, modelKey: "sweep" },
        breaker: config.breaker,
        routing: rules(high, low),
        decode: { limits: config.limits, ...config.decode },
        clipTimeoutMs: 60_000,
        metrics: runtime.metrics,
        predictions: createPredictionStore({ maxEntries: 1000, ttlMs: 60_000 }),
      });
      const some = files.slice(0, 64);
      const served: Classification[] = [];
      for await (const batch of labelledFolder(IMAGENET_SAMPLES, some, 32)) {
        const answers = await classifier.classifyImages(
          batch.map(({ bytes }) => ({
            bytes,
            sha256: createHash("sha256").update(bytes).digest("hex"),
          })),
          { topK: 1, vlm: "AUTO", labels: null },
        );
        served.push(...(answers as Classification[]));
      }
      const { labels } = runtime.models.pack;
      served.forEach((answer, i) => {
        const scored = scores[i] as ImageScores;
        const cnnTop = topK(scored.cnn, labels, 1)[0] as Classification["top"];
        expect(cnnTop).toEqual(answer.cnn.top);
        expect(replay(scored, cnnTop, labels, rules(high, low))).toEqual({
          label: answer.top.label,
          routed: answer.vlmUsed,
        });
      });
    },
    120_000,
  );
});
