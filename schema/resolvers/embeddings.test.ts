import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mintApiKey } from "../../server/auth/api-keys.ts";
import { EMBEDDED_SAMPLES } from "../../server/testing/shared-data.ts";
import { createFakeTestApp, createTestApp } from "../../server/testing/test-app.ts";

const sample = (name: string) => readFileSync(join(EMBEDDED_SAMPLES, name));
const boot = sample("t10k-00000_ankle_boot.png");
const trouser = sample("t10k-00002_trouser.png");

const CLASSIFY_EMBEDDING = `mutation ($image: String!, $vlm: VlmMode) {
  classify(imageBase64: $image, options: { vlm: $vlm }) {
    vlmUsed
    embedding { model dimensions values cacheHit }
  }
}`;
const CLASSIFY_ONLY = `mutation ($image: String!, $vlm: VlmMode) {
  classify(imageBase64: $image, options: { vlm: $vlm }) { vlmUsed }
}`;
const EMBED_TEXTS = `query ($texts: [String!]!) { embedTexts(texts: $texts) { text model dimensions values } }`;

interface Embedded {
  classify: {
    vlmUsed: boolean;
    embedding: { model: string; dimensions: number; values: number[]; cacheHit: boolean } | null;
  };
}
interface TextsEmbedded {
  embedTexts: { text: string; model: string; dimensions: number; values: number[] }[];
}

const norm = (v: number[]) => Math.hypot(...v);
const dot = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

/** A fake service with CLIP's real step (cache, batcher) in front of a counted vision tower. */
function serviceCountingClip(env: Record<string, string> = {}) {
  const tower = { images: 0 };
  const service = createFakeTestApp(env, {
    pipeline: {
      embeddingCacheBytes: 1 << 20,
      runClip: async (tensors) => {
        tower.images += tensors.length;
        return tensors.map(() => Float32Array.from([0, 0.6, 0.8, 0]));
      },
    },
  });
  return { service, tower };
}

describe("Classification.embedding", () => {
  it("is computed only when selected, and comes from the cache once CLIP has seen the image", async () => {
    const { service, tower } = serviceCountingClip();
    const ask = (query: string, image: Buffer, vlm: string) =>
      service.query<Embedded>(query, { image: image.toString("base64"), vlm });

    // Not selected, CLIP not asked: no vision call.
    expect((await ask(CLASSIFY_ONLY, boot, "OFF")).errors).toBeUndefined();
    expect(tower.images).toBe(0);

    // Selected without a second opinion: one vision call, for the embedding.
    const first = await ask(CLASSIFY_EMBEDDING, boot, "OFF");
    expect(first.errors).toBeUndefined();
    expect(first.data?.classify.embedding).toEqual({
      model: "fake/clip",
      dimensions: 4,
      values: [0, expect.closeTo(0.6, 6), expect.closeTo(0.8, 6), 0],
      cacheHit: false,
    });
    expect(tower.images).toBe(1);

    // The same image again, now with CLIP's opinion too: both from the cache, no call.
    const again = await ask(CLASSIFY_EMBEDDING, boot, "FORCE");
    expect(again.data?.classify).toMatchObject({ vlmUsed: true, embedding: { cacheHit: true } });
    expect(tower.images).toBe(1);

    // A new image with CLIP's opinion: one call serves the opinion and the embedding.
    const forced = await ask(CLASSIFY_EMBEDDING, trouser, "FORCE");
    expect(forced.data?.classify.embedding?.cacheHit).toBe(true);
    expect(tower.images).toBe(2);
  });

  it("is null when the service runs without CLIP; the answer stands", async () => {
    const service = createFakeTestApp({}, { pipeline: { withoutClip: true } });
    const answer = await service.query<Embedded>(CLASSIFY_EMBEDDING, {
      image: boot.toString("base64"),
    });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.classify).toEqual({ vlmUsed: false, embedding: null });
  });

  it("needs the scope classify:force-vlm, as every request that makes CLIP run does", async () => {
    const key = mintApiKey("classifier", ["classify"]);
    const { service, tower } = serviceCountingClip({ API_KEYS: key.entry });
    const answer = await service.query<Embedded>(
      CLASSIFY_EMBEDDING,
      { image: boot.toString("base64"), vlm: "OFF" },
      { authorization: `Bearer ${key.secret}` },
    );
    expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(answer.errors?.[0]?.path).toEqual(["classify", "embedding"]);
    expect(tower.images).toBe(0);
  });
});

describe("Query.embedTexts", () => {
  it("embeds each text with the text tower, in order, unit length, in the images' space", async () => {
    const { service } = serviceCountingClip();
    const answer = await service.query<TextsEmbedded>(EMBED_TEXTS, {
      texts: [" cat ", "dog", "fox"],
    });
    expect(answer.errors).toBeUndefined();
    const rows = answer.data?.embedTexts ?? [];
    expect(rows.map((row) => [row.text, row.model, row.dimensions])).toEqual([
      ["cat", "fake/clip", 4],
      ["dog", "fake/clip", 4],
      ["fox", "fake/clip", 4],
    ]);
    // The fake tower embeds text i as the i-th unit vector.
    expect(rows.map((row) => row.values)).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ]);
  });

  it("refuses an empty list, too many texts, and empty or too long ones, as BAD_USER_INPUT", async () => {
    const { service } = serviceCountingClip({ CUSTOM_LABELS_MAX: "3" });
    for (const texts of [[], ["a", "b", "c", "d"], ["a", "  "], ["x".repeat(301)]]) {
      const answer = await service.query(EMBED_TEXTS, { texts });
      expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(texts)).toBe("BAD_USER_INPUT");
      expect(answer.status).toBe(400);
      expect(answer.data ?? null).toBeNull();
    }
  });

  it("is VLM_UNAVAILABLE (503) in a service without CLIP", async () => {
    const service = createFakeTestApp({}, { pipeline: { withoutClip: true } });
    const answer = await service.query(EMBED_TEXTS, { texts: ["cat"] });
    expect(answer.errors?.[0]?.extensions?.code).toBe("VLM_UNAVAILABLE");
    expect(answer.status).toBe(503);
  });
});

describe("image search with the real fashion-mnist models", () => {
  it("finds each image by the text naming it: a dot product of the two embeddings", async () => {
    const service = await createTestApp();
    const images = [boot, trouser];
    const embedded = await Promise.all(
      images.map((image) =>
        service.query<Embedded>(CLASSIFY_EMBEDDING, { image: image.toString("base64") }),
      ),
    );
    const vectors = embedded.map((answer) => answer.data?.classify.embedding?.values ?? []);
    for (const vector of vectors) expect(norm(vector)).toBeCloseTo(1, 4);
    const texts = await service.query<TextsEmbedded>(EMBED_TEXTS, {
      texts: ["a photo of an ankle boot.", "a photo of a trouser."],
    });
    const queries = (texts.data?.embedTexts ?? []).map((row) => row.values);
    expect(queries).toHaveLength(2);
    for (const [q, query] of queries.entries()) {
      expect(norm(query)).toBeCloseTo(1, 4);
      const scores = vectors.map((vector) => dot(query, vector));
      // The image the text names ranks first.
      expect(scores.indexOf(Math.max(...scores)), `text ${q}: ${scores}`).toBe(q);
    }
  });
});
