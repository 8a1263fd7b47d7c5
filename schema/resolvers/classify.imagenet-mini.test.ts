import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hasSharedData,
  IMAGENET_MINI_PACK,
  IMAGENET_SAMPLES,
  parseTsv,
  warnIfNoSharedData,
} from "../../server/testing/shared-data.ts";
import {
  CLASSIFY_BATCH,
  type ClassificationResult,
  createTestApp,
  type TestApp,
} from "../../server/testing/test-app.ts";

warnIfNoSharedData("the imagenet-mini acceptance tests");

// The pack README's figures for its 250 sample photos (CNN softmax top-1 and top-5).
const README_CNN_TOP1 = 0.824;
const README_CNN_TOP5 = 0.964;
const PRIORITY = ["tench", "goldfish", "hen"];
const HIGH = 0.85;
const CHUNK = 25;

describe.skipIf(!hasSharedData)(
  "imagenet-mini pack on the 250 sample photos, through the HTTP handler",
  () => {
    let service: TestApp;
    const results: { expected: string; answer: ClassificationResult }[] = [];

    beforeAll(async () => {
      service = await createTestApp({
        MODEL_PACK: IMAGENET_MINI_PACK,
        VLM_PRIORITY_CLASSES: PRIORITY.join(","),
        // Generous, so a busy test machine cannot turn a CLIP answer into a TIMEOUT fallback.
        VLM_TIMEOUT_MS: "30000",
      });
      const rows = parseTsv(readFileSync(join(IMAGENET_SAMPLES, "labels.tsv"), "utf8"));
      for (let start = 0; start < rows.length; start += CHUNK) {
        const chunk = rows.slice(start, start + CHUNK);
        const response = await service.upload<{ classifyBatch: ClassificationResult[] }>(
          CLASSIFY_BATCH,
          { images: chunk.map(() => null), options: { topK: 5 } },
          chunk.map((row, i) => ({
            path: `variables.images.${i}`,
            bytes: readFileSync(join(IMAGENET_SAMPLES, row.file as string)),
            filename: row.file,
            type: "image/jpeg",
          })),
        );
        expect(response.errors).toBeUndefined();
        response.data?.classifyBatch.forEach((answer, i) => {
          results.push({ expected: chunk[i]?.clip_class_name as string, answer });
        });
      }
    }, 300_000);

    afterAll(() => {
      const share = (n: number) => (n / results.length).toFixed(3);
      const cnn = results.filter((r) => r.answer.cnn.top.label === r.expected).length;
      const final = results.filter((r) => r.answer.top.label === r.expected).length;
      const routed = results.filter((r) => r.answer.vlmUsed).length;
      console.log(
        `imagenet-mini, ${results.length} photos: CNN top-1 ${share(cnn)}, final top-1 ${share(final)}, routed to CLIP ${share(routed)}`,
      );
    });

    it("answers every photo", () => {
      expect(results).toHaveLength(250);
      for (const { answer } of results) expect(answer.image.format).toBe("jpeg");
    });

    it("gives CNN top-1 and top-5 within 2 points of the pack README", () => {
      const top1 =
        results.filter((r) => r.answer.cnn.top.label === r.expected).length / results.length;
      const top5 =
        results.filter((r) => r.answer.cnn.predictions.some((p) => p.label === r.expected)).length /
        results.length;
      expect(Math.abs(top1 - README_CNN_TOP1)).toBeLessThanOrEqual(0.02);
      expect(Math.abs(top5 - README_CNN_TOP5)).toBeLessThanOrEqual(0.02);
    });

    it("consults CLIP exactly on the photos the routing rules pick, with the rule's reason", () => {
      for (const { answer } of results) {
        const unsure = answer.cnn.top.score < HIGH;
        const priority = PRIORITY.includes(answer.cnn.top.label);
        const expectedReason = unsure ? "LOW_CONFIDENCE" : priority ? "PRIORITY_CLASS" : null;
        expect(answer.vlmReason).toBe(expectedReason);
        expect(answer.vlmUsed).toBe(expectedReason !== null);
        expect(answer.fallback).toBeNull();
        expect(answer.vlm !== null).toBe(expectedReason !== null);
        expect(answer.cnnWeight !== null).toBe(expectedReason !== null);
      }
      // The sample set has both kinds, so the check above is not vacuous.
      expect(results.some((r) => r.answer.vlmUsed)).toBe(true);
      expect(results.some((r) => !r.answer.vlmUsed)).toBe(true);
    });

    it("answers with the CNN alone when CLIP is not consulted, and ensembles when it is", () => {
      for (const { answer } of results) {
        if (!answer.vlmUsed) {
          expect(answer.predictions).toEqual(answer.cnn.predictions);
          continue;
        }
        const weight = answer.cnnWeight as number;
        const cnnScore = answer.cnn.predictions.find((p) => p.label === answer.top.label)?.score;
        const clipScore = answer.vlm?.predictions.find((p) => p.label === answer.top.label)?.score;
        if (cnnScore !== undefined && clipScore !== undefined) {
          expect(answer.top.score).toBeCloseTo(weight * cnnScore + (1 - weight) * clipScore, 5);
        }
      }
    });
  },
);
