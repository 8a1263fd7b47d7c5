import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createEnsembleRule } from "../calibration/index.ts";
import { loadConfig } from "../config/config.ts";
import { createPredictionStore } from "../feedback/prediction-store.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import { createClassifier } from "../pipeline/classify.ts";
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
import { scoreLabelledImages } from "./score-labelled-images.ts";
import {
  currentThresholds,
  type LabelledImageScores,
  replay,
  type SweepOptions,
  sweepTable,
  sweepThresholds,
} from "./threshold-sweep.ts";

const LABELS = ["cat", "dog", "fox"];
const NONE = new Set<string>();
const legacy = (high: number, low: number, rest: Partial<SweepOptions> = {}): SweepOptions => ({
  labels: LABELS,
  calibration: null,
  current: { high, low },
  priorityClasses: NONE,
  ...rest,
});
// Probabilities in, log-probabilities stored: the legacy rule's softmax gives them back.
const image = (label: string, cnn: number[], clip: number[]): LabelledImageScores => ({
  label: LABELS.indexOf(label),
  cnn: Float32Array.from(cnn, Math.log),
  clip: Float32Array.from(clip, Math.log),
});
const cell = (sweep: ReturnType<typeof sweepThresholds>, high: number, low: number) =>
  sweep.cells.find((c) => c.high === high && c.low === low);

// 1: the CNN is unsure and wrong, CLIP fixes it whenever asked. 2: the CNN is sure and right,
// CLIP wrong but outweighed. 3: the CNN is right at 0.6, CLIP says dog: the ensemble keeps cat
// only while low < 0.6 (the CNN's weight passes 0.5 at low).
const IMAGES = [
  image("dog", [0.52, 0.43, 0.05], [0.05, 0.9, 0.05]),
  image("fox", [0.04, 0.04, 0.92], [0.9, 0.05, 0.05]),
  image("cat", [0.6, 0.4, 0], [0.4, 0.6, 0]),
];

describe("sweepThresholds on hand-made distributions", () => {
  it("routes nothing at high = 0: every answer is the CNN's", () => {
    const sweep = sweepThresholds(IMAGES, legacy(0, 0, { highs: [0], lows: [0] }));
    expect(sweep.cells).toEqual([{ high: 0, low: 0, top1: 2 / 3, routedToClip: 0 }]);
  });

  it("routes every unsure image below high, and priority classes even when sure", () => {
    const sweep = sweepThresholds(IMAGES, legacy(0.85, 0.3));
    expect(cell(sweep, 0.85, 0.3)?.routedToClip).toBeCloseTo(2 / 3);
    const priority = sweepThresholds(
      IMAGES,
      legacy(0.85, 0.3, { priorityClasses: new Set(["fox"]) }),
    );
    expect(priority.current.routedToClip).toBe(1);
  });

  it("weights the CNN by the documented ramp around low", () => {
    // Image 3 at low 0.3: CNN weight 0.5 + 0.5 · 0.3 / 0.7 ≈ 0.714, cat 0.543 beats dog 0.457.
    // At low 0.7: 0.5 · 0.6 / 0.7 ≈ 0.429, dog 0.514 beats cat 0.486.
    const third = IMAGES[2] as LabelledImageScores;
    const at = (low: number) => createEnsembleRule(null, { high: 0.85, low });
    expect(replay(third, at(0.3), LABELS, NONE)).toEqual({ label: 0, routed: true });
    expect(replay(third, at(0.7), LABELS, NONE)).toEqual({ label: 1, routed: true });
  });

  it("covers low ≤ high only, adds and marks the current thresholds, and picks the best", () => {
    const sweep = sweepThresholds(IMAGES, legacy(0.72, 0.33));
    expect(sweep.cells.every((c) => c.low <= c.high)).toBe(true);
    expect(cell(sweep, 0.5, 0.6)).toBeUndefined();
    expect(sweep.current).toEqual({ high: 0.72, low: 0.33, top1: 1, routedToClip: 2 / 3 });
    // All right needs image 1 routed (high > 0.52); high 0.6 does it without asking CLIP about 3.
    expect(sweep.best).toEqual({ high: 0.6, low: 0.3, top1: 1, routedToClip: 1 / 3 });
    const table = sweepTable(sweep);
    expect(table).toContain("| 0.72 |");
    expect(table).toContain("100.0 % · 66.7 % ◆");
    expect(table).toContain("100.0 % · 33.3 % ★");
  });

  it("counts images without scores as wrong", () => {
    const sweep = sweepThresholds(IMAGES, legacy(0, 0, { total: 6 }));
    expect(sweep.current.top1).toBeCloseTo(2 / 6);
  });
});

warnIfNoSharedData("the threshold sweep checks on real images");

describe.skipIf(!hasSharedData)("sweepThresholds on real images (imagenet-mini)", () => {
  let runtime: Runtime;
  let report: EvaluationReport;
  let scores: LabelledImageScores[];
  let files: Awaited<ReturnType<typeof readLabelsTsv>>;
  const options = (high: number, low: number): SweepOptions => ({
    labels: runtime.models.pack.labels,
    calibration: runtime.models.pack.calibration,
    current: { high, low },
    priorityClasses: NONE,
    total: report.images,
  });

  beforeAll(async () => {
    runtime = await createRuntime(
      loadConfig({ MODEL_PACK: IMAGENET_MINI_PACK, VLM_TIMEOUT_MS: "60000" }),
    );
    // Every photo, so the ones whose label the pack lists twice (sunglasses, missile) are in.
    files = await readLabelsTsv(join(IMAGENET_SAMPLES, "labels.tsv"));
    const { labels } = runtime.models.pack;
    report = await evaluate(runtime.classifier, labelledFolder(IMAGENET_SAMPLES, files, 32));
    async function* batches() {
      let at = 0;
      for await (const batch of labelledFolder(IMAGENET_SAMPLES, files, 32)) {
        yield batch.map(({ bytes, label }) => ({
          name: files[at++]?.file ?? "",
          bytes,
          label: labels.indexOf(label),
        }));
      }
    }
    ({ scores } = await scoreLabelledImages(runtime.classifier, batches()));
  }, 180_000);

  it("has every image's full scores: CNN log-probabilities, CLIP logits", () => {
    expect(report.fallbacks).toBe(0);
    expect(scores).toHaveLength(report.images);
    const total = (v: Float32Array) => v.reduce((a, b) => a + Math.exp(b), 0);
    for (const { cnn, clip } of scores) {
      expect(total(cnn)).toBeCloseTo(1, 4);
      expect(clip).toHaveLength(cnn.length);
    }
  });

  it("reproduces the service-default accuracy and routing exactly at the current thresholds", () => {
    const { high, low } = currentThresholds(runtime.classifier.rule, runtime.config.routing);
    const sweep = sweepThresholds(scores, options(high, low));
    expect(sweep.current).toEqual({
      high,
      low,
      top1: report.service.top1,
      routedToClip: report.routedToClip,
    });
    const cnnOnly = sweepThresholds(scores, options(0, 0));
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
      const rule = createEnsembleRule(runtime.models.pack.calibration, { high, low });
      const classifier = createClassifier({
        models: runtime.models,
        runners: {
          cnn: (tensors) => runtime.models.cnn.classify(tensors),
          clipVision: clip ? (tensors) => clip.vision.embed(tensors) : null,
        },
        batching: config.batching,
        embeddingCache: { maxBytes: config.embeddingCacheBytes, modelKey: "sweep" },
        breaker: config.breaker,
        rule,
        priorityClasses: NONE,
        decode: { limits: config.limits, ...config.decode },
        clipTimeoutMs: 60_000,
        metrics: runtime.metrics,
        predictions: createPredictionStore({ maxEntries: 1000, ttlMs: 60_000 }),
      });
      const some = files.slice(0, 64);
      const served: Classification[] = [];
      for await (const batch of labelledFolder(IMAGENET_SAMPLES, some, 32)) {
        const answers = await classifier.classifyImages(
          batch.map(({ bytes }) => ({ bytes, sha256: sha256Hex(bytes) })),
          { topK: 1, vlm: "AUTO", labels: null },
        );
        served.push(...(answers as Classification[]));
      }
      const { labels } = runtime.models.pack;
      served.forEach((answer, i) => {
        const scored = scores[i] as LabelledImageScores;
        const replayed = replay(scored, rule, labels, NONE);
        expect(labels[rule.cnn(scored.cnn).top]).toBe(answer.cnn.top.label);
        expect({ label: labels[replayed.label], routed: replayed.routed }).toEqual({
          label: answer.top.label,
          routed: answer.vlmUsed,
        });
      });
    },
    120_000,
  );
});
