import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userErrorCodes } from "../../server/errors/user-error.ts";
import { sha256Hex } from "../../server/hashing/sha256.ts";
import { loadPack } from "../../server/packs/load-pack.ts";
import { loadPreprocessorConfig } from "../../server/preprocess/preprocessor-config.ts";
import { seededRandom } from "../../server/testing/seeded-random.ts";
import { loadEmbeddedSamples } from "../../server/testing/shared-data.ts";
import { createFakeTestApp, type FakeTestApp, TEST_PACK } from "../../server/testing/test-app.ts";
import { MUTATIONS } from "../../server/testing/upload-mutations.ts";

// The fuzzer's own knobs: `npm run fuzz -- --iterations N --seed S` sets them for longer runs.
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS || 300);
const BASE_SEED = Number(process.env.FUZZ_SEED || 20_240_611);
/** Inputs in flight at once: the service sees concurrent bad uploads, as it would in production. */
const CONCURRENCY = 8;

const QUERY = `mutation ($image: File!) {
  classify(image: $image, options: { vlm: FORCE }) { top { label score } image { width height format } }
}`;

interface Answer {
  data?: { classify?: { top: { label: string; score: number } } | null } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Valid real images in every accepted format: the samples, and some of them re-encoded. */
async function seedImages(): Promise<{ name: string; bytes: Uint8Array }[]> {
  const samples = loadEmbeddedSamples();
  const seeds = samples.map((s) => ({ name: s.file, bytes: Uint8Array.from(s.bytes) }));
  for (const s of samples.slice(0, 6)) {
    const big = sharp(s.bytes).resize(112, 112, { kernel: "nearest" });
    const encodings = {
      jpeg: big.clone().jpeg({ quality: 90 }),
      "progressive jpeg": big.clone().jpeg({ quality: 90, progressive: true }),
      "interlaced png": big.clone().png({ progressive: true }),
      "16-bit png": big.clone().toColourspace("rgb16").png(),
      gif: big.clone().gif(),
      webp: big.clone().webp({ quality: 80 }),
      "lossless webp": big.clone().webp({ lossless: true }),
      avif: big.clone().avif({ quality: 60 }),
    };
    for (const [format, encoder] of Object.entries(encodings)) {
      seeds.push({
        name: `${s.file} as ${format}`,
        bytes: Uint8Array.from(await encoder.toBuffer()),
      });
    }
  }
  return seeds;
}

/** Iteration i's input, from its own seed alone: any one of them can be replayed by itself. */
function fuzzInput(seeds: { name: string; bytes: Uint8Array }[], seed: number) {
  const random = seededRandom(seed);
  const source = random.pick(seeds);
  let bytes = source.bytes;
  const applied: string[] = [];
  for (let n = 1 + random.int(3); n > 0; n--) {
    const mutation = random.pick(MUTATIONS);
    bytes = mutation.apply(bytes, random);
    applied.push(mutation.name);
  }
  return { bytes, description: `${source.name}, ${applied.join(" + ")}` };
}

describe("fuzzing the upload path", () => {
  let service: FakeTestApp;
  let seeds: { name: string; bytes: Uint8Array }[];
  beforeAll(async () => {
    // What the fuzzer reaches is the upload, decode and preprocessing; fake models answer,
    // behind the embedded pack's real preprocessing.
    const pack = await loadPack(TEST_PACK);
    const cnnSpec = await loadPreprocessorConfig(pack.file(pack.manifest.cnn.preprocess));
    service = createFakeTestApp({}, { pipeline: { cnnSpec } });
    seeds = await seedImages();
  });

  it("makes the same inputs from the same seed", () => {
    const digest = (seed: number) => sha256Hex(fuzzInput(seeds, seed).bytes);
    expect([digest(1), digest(2)]).toEqual([digest(1), digest(2)]);
    expect(digest(1)).not.toBe(digest(2));
  });

  // A hang fails this test by its timeout, however long each answer takes.
  it(`answers ${ITERATIONS} mutated images (seed ${BASE_SEED}) with a classification or a typed error`, async () => {
    const known = new Set<string>(userErrorCodes);
    const labels = new Set(service.runtime.models.pack.labels);
    const outcomes = new Map<string, number>();
    for (let first = 0; first < ITERATIONS; first += CONCURRENCY) {
      const count = Math.min(CONCURRENCY, ITERATIONS - first);
      await Promise.all(
        Array.from({ length: count }, async (_, k) => {
          const seed = BASE_SEED + first + k;
          const { bytes, description } = fuzzInput(seeds, seed);
          const replay = `iteration seed ${seed} (${description}); replay: npm run fuzz -- --seed ${seed} --iterations 1`;
          const response = await service.upload<Answer["data"]>(QUERY, { image: null }, [
            {
              path: "variables.image",
              bytes,
              filename: "fuzz.bin",
              type: "application/octet-stream",
            },
          ]);
          const code = response.errors?.[0]?.extensions?.code;
          const outcome = code ?? "classified";
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          if (code === undefined) {
            expect(response.errors, replay).toBeUndefined();
            expect(response.status, replay).toBe(200);
            expect(labels.has(response.data?.classify?.top.label ?? ""), replay).toBe(true);
          } else {
            expect(known.has(code), `${replay}: ${code}: ${response.errors?.[0]?.message}`).toBe(
              true,
            );
            expect(response.status, replay).toBeGreaterThanOrEqual(400);
            expect(response.status, replay).toBeLessThan(500);
          }
        }),
      );
    }
    console.log(`fuzz seed ${BASE_SEED}, ${ITERATIONS} inputs:`, Object.fromEntries(outcomes));
    // The mutations reach both sides: some inputs still decode, some are refused (a check of
    // the fuzzer, meaningful over a few hundred inputs, not over a replay of one).
    if (ITERATIONS >= 100) {
      expect(outcomes.get("classified") ?? 0).toBeGreaterThan(0);
      expect(outcomes.size).toBeGreaterThan(1);
    }
  }, 600_000);

  afterAll(async () => {
    // Still healthy, nothing left running, and a good image is still answered.
    expect((await service.app.fetch(new Request("http://localhost/health"))).status).toBe(200);
    expect((await service.app.fetch(new Request("http://localhost/ready"))).status).toBe(200);
    expect(service.runtime.classifier.decodeSlots.active).toBe(0);
    const sample = loadEmbeddedSamples()[1];
    const answer = await service.upload<Answer["data"]>(QUERY, { image: null }, [
      { path: "variables.image", bytes: sample?.bytes as Uint8Array },
    ]);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.classify?.top.label).toBe("cat");
  });
});
