import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dot } from "../math/vector-math.ts";
import { loadPack } from "../packs/load-pack.ts";
import { copyPack } from "../testing/pack-copy.ts";
import {
  hasSharedData,
  IMAGENET_MINI_PACK,
  REPO_ROOT,
  warnIfNoSharedData,
} from "../testing/shared-data.ts";
import { embedLabels } from "./label-embeddings.ts";
import { loadModels } from "./load-models.ts";

const EMBEDDED = join(REPO_ROOT, "models/fashion-mnist");
const options = { intraOpThreads: 1 };
// The embeddings are unit length, so their dot product is the cosine.
const cosine = dot;

warnIfNoSharedData("the imagenet-mini label embedding checks");

describe("loadModels", () => {
  const cacheDirs: string[] = [];
  const newCacheDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "label-cache-"));
    cacheDirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of cacheDirs) await rm(dir, { recursive: true, force: true });
  });

  it("loads the embedded pack's three models and its precomputed label embeddings", async () => {
    const models = await loadModels(await loadPack("fashion-mnist"), {
      ...options,
      cacheDir: await newCacheDir(),
    });
    expect(models.clip?.labelEmbeddingsSource).toBe("pack");
    expect(models.clip?.labelEmbeddings.labels).toHaveLength(10);
    expect(models.clipUnavailableReason).toBeNull();
  });

  it("reproduces the precomputed embeddings with the text tower, then caches them on disk", async () => {
    const reference = await loadModels(await loadPack("fashion-mnist"), {
      ...options,
      cacheDir: await newCacheDir(),
    });
    const copy = await copyPack(EMBEDDED, (m) => {
      delete m.clip.text_embeddings;
    });
    const cacheDir = await newCacheDir();
    try {
      const first = await loadModels(await loadPack(copy.dir), { ...options, cacheDir });
      const second = await loadModels(await loadPack(copy.dir), { ...options, cacheDir });
      expect(first.clip?.labelEmbeddingsSource).toBe("computed");
      expect(second.clip?.labelEmbeddingsSource).toBe("cache");
      const { dim, matrix } = reference.clip?.labelEmbeddings ?? {
        dim: 0,
        matrix: new Float32Array(),
      };
      for (let row = 0; row < 10; row++) {
        const slice = (m: Float32Array) => m.subarray(row * dim, (row + 1) * dim);
        expect(
          cosine(slice(first.clip?.labelEmbeddings.matrix as Float32Array), slice(matrix)),
        ).toBeGreaterThan(0.99999);
      }
      expect(second.clip?.labelEmbeddings.matrix).toEqual(first.clip?.labelEmbeddings.matrix);
    } finally {
      await copy.remove();
    }
  });

  it("names the tensors a model really has when the manifest is wrong", async () => {
    const copy = await copyPack(EMBEDDED, (m) => {
      m.cnn.input = "image";
    });
    try {
      await expect(
        loadModels(await loadPack(copy.dir), { ...options, cacheDir: await newCacheDir() }),
      ).rejects.toThrow(/has no input "image" \(it has pixel_values\)/);
    } finally {
      await copy.remove();
    }
  });

  it("refuses to start when the CNN's model file is corrupt: there is nothing to serve", async () => {
    const copy = await copyPack(EMBEDDED);
    try {
      const pack = await loadPack(copy.dir);
      await writeFile(pack.file(pack.manifest.cnn.model), "not an onnx model");
      await expect(loadModels(pack, { ...options, cacheDir: await newCacheDir() })).rejects.toThrow(
        /cannot load model .*model\.onnx/,
      );
    } finally {
      await copy.remove();
    }
  });

  it("keeps serving with the CNN when CLIP's model file is corrupt", async () => {
    const copy = await copyPack(EMBEDDED);
    try {
      const pack = await loadPack(copy.dir);
      await writeFile(pack.file(pack.manifest.clip?.vision.model as string), "not an onnx model");
      const logged: string[] = [];
      const models = await loadModels(pack, {
        ...options,
        cacheDir: await newCacheDir(),
        log: (m) => logged.push(m),
      });
      expect(models.clip).toBeNull();
      expect(models.clipUnavailableReason).toMatch(/CLIP failed to load: cannot load model/);
      expect(logged.join("\n")).toMatch(/CLIP failed to load/);
      expect(models.cnn).toBeDefined();
    } finally {
      await copy.remove();
    }
  });

  it.skipIf(!hasSharedData)(
    "reproduces imagenet-mini's precomputed rows from its text tower",
    async () => {
      const models = await loadModels(await loadPack(IMAGENET_MINI_PACK), {
        ...options,
        cacheDir: await newCacheDir(),
      });
      const clip = models.clip;
      if (!clip) throw new Error("imagenet-mini has CLIP");
      const pack = models.pack;
      const picks = [
        "tench",
        "Geoffroy's spider monkey",
        "St. Bernard",
        "baluster / handrail",
        "T-shirt",
      ];
      const computed = await embedLabels(clip.text, picks, pack.templates);
      const { dim, matrix } = clip.labelEmbeddings;
      picks.forEach((label, i) => {
        const row = pack.labels.indexOf(label);
        expect(row).toBeGreaterThanOrEqual(0);
        const got = computed.matrix.subarray(i * dim, (i + 1) * dim);
        expect(cosine(got, matrix.subarray(row * dim, (row + 1) * dim))).toBeGreaterThan(0.99999);
      });
    },
  );
});
