import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../server/hashing/sha256.ts";
import { loadPack } from "../../server/packs/load-pack.ts";
import { pngClaimingSize, solidPng, truncatedJpeg } from "../../server/testing/image-fixtures.ts";
import { multipartRequest } from "../../server/testing/multipart.ts";
import { loadEmbeddedSamples } from "../../server/testing/shared-data.ts";
import {
  CLASSIFY,
  CLASSIFY_BATCH,
  type ClassificationResult,
  createFakeTestApp,
  createTestApp,
  type TestApp,
} from "../../server/testing/test-app.ts";

interface BatchItem extends Partial<ClassificationResult> {
  __typename: "Classification" | "ClassifyError";
  index?: number;
  code?: string;
  message?: string;
}

const samples = loadEmbeddedSamples();
const sample = (i: number) => samples[i] as (typeof samples)[number];
const png = (bytes: Uint8Array, path = "variables.image") => ({ path, bytes, type: "image/png" });

/** classify and classifyBatch of PNGs, on the app `service()` returns when called. */
function uploads(service: () => Pick<TestApp, "upload">) {
  return {
    classify: (bytes: Uint8Array, options?: Record<string, unknown>) =>
      service().upload<{ classify: ClassificationResult }>(CLASSIFY, { image: null, options }, [
        png(bytes),
      ]),
    classifyBatch: (images: Uint8Array[], options?: Record<string, unknown>) =>
      service().upload<{ classifyBatch: BatchItem[] }>(
        CLASSIFY_BATCH,
        { images: images.map(() => null), options },
        images.map((bytes, i) => png(bytes, `variables.images.${i}`)),
      ),
  };
}

describe("classify on the embedded pack, through the HTTP handler", () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await createTestApp({ VLM_TIMEOUT_MS: "30000" });
  });

  const { classify, classifyBatch } = uploads(() => service);

  describe("answers", () => {
    it("classifies the sample photos of every class", async () => {
      const response = await classifyBatch(samples.map((s) => s.bytes));
      expect(response.errors).toBeUndefined();
      const answers = response.data?.classifyBatch ?? [];
      expect(answers).toHaveLength(samples.length);
      const right = answers.filter((a, i) => a.top?.label === sample(i).label).length;
      // The pack's README measures ~91% on the test set; 30 samples leave room for a few misses.
      expect(right).toBeGreaterThanOrEqual(Math.ceil(samples.length * 0.8));
    });

    it("describes the answer fully", async () => {
      const { data, errors } = await classify(sample(0).bytes, { topK: 3 });
      expect(errors).toBeUndefined();
      const answer = data?.classify as ClassificationResult;
      expect(answer.model).toBe("fashion-mnist");
      expect(answer.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.image).toMatchObject({
        width: 28,
        height: 28,
        format: "png",
        bytes: sample(0).bytes.length,
      });
      expect(answer.image.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(answer.predictions).toHaveLength(3);
      expect(answer.top).toEqual(answer.predictions[0]);
      const scores = answer.predictions.map((p) => p.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(answer.cnn.model).toBe("fashion-mnist/cnn");
      expect(answer.timings.totalMs).toBeGreaterThanOrEqual(answer.timings.decodeMs);
      expect(answer.cacheHit).toBe(false);
    });

    it("with vlm OFF answers with the CNN alone", async () => {
      const answer = (await classify(sample(1).bytes, { vlm: "OFF" })).data?.classify;
      expect(answer).toMatchObject({
        vlmUsed: false,
        vlmReason: null,
        vlm: null,
        fallback: null,
        cnnWeight: null,
      });
      expect(answer?.predictions).toEqual(answer?.cnn.predictions);
      expect(answer?.timings.vlmMs).toBeNull();
    });

    it("with vlm FORCE ensembles CLIP's zero-shot answer with the CNN's", async () => {
      const answer = (await classify(sample(2).bytes, { vlm: "FORCE", topK: 10 })).data?.classify;
      expect(answer).toMatchObject({ vlmUsed: true, vlmReason: "FORCED", fallback: null });
      expect(answer?.vlm?.model).toBe("fashion-mnist/clip");
      const weight = answer?.cnnWeight as number;
      expect(weight).toBeGreaterThan(0);
      expect(weight).toBeLessThanOrEqual(1);
      // Full distributions (topK = every label): the ensemble is the pack's log-linear mix of
      // the CNN's calibrated probabilities and CLIP's, CLIP's sharpened by its temperature.
      const { calibration } = await loadPack("fashion-mnist");
      const clipTemperature = calibration?.temperatures.clip ?? Number.NaN;
      const mixed = (answer?.predictions ?? []).map((p) => {
        const cnn = answer?.cnn.predictions.find((c) => c.label === p.label)?.score as number;
        const clip = answer?.vlm?.predictions.find((c) => c.label === p.label)?.score as number;
        return Math.exp(weight * Math.log(cnn) + ((1 - weight) * Math.log(clip)) / clipTemperature);
      });
      const total = mixed.reduce((a, b) => a + b, 0);
      (answer?.predictions ?? []).forEach((p, i) => {
        expect(p.score).toBeCloseTo((mixed[i] as number) / total, 4);
      });
      expect(answer?.predictions.reduce((sum, p) => sum + p.score, 0)).toBeCloseTo(1, 4);
    });

    it("scores a caller's own labels with CLIP's text tower", async () => {
      const labels = ["sneaker", "trouser", "bag", "a thing nobody trained on"];
      const answer = (await classify(sample(0).bytes, { labels, topK: 10 })).data?.classify;
      expect(answer).toMatchObject({ vlmUsed: true, vlmReason: "CUSTOM_LABELS", cnnWeight: null });
      expect(answer?.predictions.map((p) => p.label).sort()).toEqual([...labels].sort());
      expect(answer?.predictions.reduce((sum, p) => sum + p.score, 0)).toBeCloseTo(1, 4);
      expect(service.runtime.classifier.customLabelSets.size).toBeGreaterThanOrEqual(1);
    });
  });
});

describe("classify's requests, errors and service queries, on fake models", () => {
  const service = createFakeTestApp();

  const { classify, classifyBatch } = uploads(() => service);

  describe("one request's images are merged and de-duplicated", () => {
    it("scores duplicates once, in one pipeline batch, and answers in the order sent", async () => {
      const classifier = service.runtime.classifier;
      const real = classifier.classifyImages;
      const calls: number[] = [];
      classifier.classifyImages = (inputs, options) => {
        calls.push(inputs.length);
        return real(inputs, options);
      };
      try {
        const [a, b] = [sample(3).bytes, sample(12).bytes];
        const answers = (await classifyBatch([a, b, a, a])).data?.classifyBatch ?? [];
        expect(calls).toEqual([2]);
        expect(answers.map((x) => x.image?.sha256)).toEqual([
          answers[0]?.image?.sha256,
          answers[1]?.image?.sha256,
          answers[0]?.image?.sha256,
          answers[0]?.image?.sha256,
        ]);
        expect(answers[0]?.image?.sha256).not.toBe(answers[1]?.image?.sha256);
        expect(answers[2]?.id).toBe(answers[0]?.id);
        expect(answers[1]?.image?.sha256).toBe(sha256Hex(b));
      } finally {
        classifier.classifyImages = real;
      }
    });
  });

  describe("bad input gets a typed error and costs nothing else", () => {
    const cases: [string, () => Promise<Uint8Array>, string][] = [
      [
        "bytes that are not an image",
        async () => new TextEncoder().encode("plain text, not an image"),
        "INVALID_IMAGE",
      ],
      ["a truncated JPEG", () => truncatedJpeg(0.6), "INVALID_IMAGE"],
      ["an empty file", async () => new Uint8Array(0), "EMPTY_FILE"],
      ["a 1x1 image", () => solidPng(1, 1), "IMAGE_TOO_SMALL"],
      ["an image of 20000x20000 pixels", () => pngClaimingSize(20_000, 20_000), "IMAGE_TOO_LARGE"],
      [
        "an SVG",
        async () =>
          new TextEncoder().encode(
            '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>',
          ),
        "UNSUPPORTED_IMAGE_FORMAT",
      ],
    ];

    it.each(cases)("classify rejects %s", async (_, make, code) => {
      const response = await classify(await make());
      expect(response.data).toBeNull();
      expect(response.errors?.[0]?.extensions?.code).toBe(code);
      expect(response.errors?.[0]?.message).not.toMatch(/unexpected error/i);
      // The service is unharmed: the next good request answers.
      expect((await classify(sample(5).bytes)).data?.classify.top.label).toBeTypeOf("string");
    });

    it("fails only the bad items of a batch", async () => {
      const bad = await Promise.all(cases.map(([, make]) => make()));
      const images = [sample(7).bytes, ...bad, sample(8).bytes];
      const answers = (await classifyBatch(images)).data?.classifyBatch ?? [];
      expect(answers.map((a) => a.__typename)).toEqual([
        "Classification",
        ...cases.map(() => "ClassifyError"),
        "Classification",
      ]);
      cases.forEach(([, , code], i) => {
        expect(answers[i + 1]).toMatchObject({ index: i + 1, code });
      });
      expect(answers[0]?.image?.sha256).toBe(sha256Hex(sample(7).bytes));
      expect(answers.at(-1)?.image?.sha256).toBe(sha256Hex(sample(8).bytes));
    });

    it("rejects a request whose file part is missing", async () => {
      const request = multipartRequest(CLASSIFY, { image: null }, []);
      const response = await service.app.fetch(request);
      const body = (await response.json()) as { errors?: { message: string }[] };
      expect(body.errors?.[0]?.message).toMatch(/image/);
      expect((await classify(sample(9).bytes)).data?.classify).toBeDefined();
    });

    it("rejects options that make no sense, naming the field", async () => {
      const topK = await classify(sample(0).bytes, { topK: 0 });
      expect(topK.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
      expect(topK.errors?.[0]?.message).toMatch(/topK/);
      const off = await classify(sample(0).bytes, { vlm: "OFF", labels: ["a", "b"] });
      expect(off.errors?.[0]?.message).toMatch(/labels/);
    });
  });

  describe("service queries and endpoints", () => {
    it("lists labels, models and health", async () => {
      const { data } = await service.query<{
        labels: string[];
        models: { name: string; role: string; file: string }[];
        health: { status: string; ready: boolean; pack: string; vlmAvailable: boolean };
      }>(
        "{ labels models { name role file inputs outputs } health { status ready pack vlmAvailable } }",
      );
      expect(data?.labels).toEqual(service.runtime.models.pack.labels);
      expect(data?.labels).toEqual(["cat", "dog", "fox"]);
      expect(data?.models.map((m) => [m.role, m.file])).toEqual([
        ["CNN", "cnn.onnx"],
        ["CLIP_VISION", "vision.onnx"],
        ["CLIP_TEXT", "text.onnx"],
      ]);
      expect(data?.health).toEqual({
        status: "OK",
        ready: true,
        pack: "fake",
        vlmAvailable: true,
      });
    });

    it("serves liveness, readiness and GraphiQL", async () => {
      expect((await service.app.fetch(new Request("http://localhost/health"))).status).toBe(200);
      const ready = await service.app.fetch(new Request("http://localhost/ready"));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        ready: true,
        pack: "fake",
        vlm: "loaded",
        redis: "disabled",
      });
      const graphiql = await service.app.fetch(
        new Request("http://localhost/graphql", { headers: { accept: "text/html" } }),
      );
      expect(graphiql.status).toBe(200);
      expect(await graphiql.text()).toMatch(/graphiql/i);
    });
  });
});
