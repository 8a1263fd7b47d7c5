import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256File, sha256Hex } from "../hashing/sha256.ts";
import { loadModels } from "../inference/load-models.ts";
import { loadPack, type ModelPack } from "../packs/load-pack.ts";
import { manifestFiles } from "../packs/manifest.ts";
import {
  FIXTURE_PACK,
  hostedFixtureFiles,
  writeFixtureCatalog,
} from "../testing/download-fixture.ts";
import { startModelHost } from "../testing/model-host.ts";
import { copyPack } from "../testing/pack-copy.ts";
import { hasQuantizer, quantizedEmbeddedPack } from "../testing/quantized-pack.ts";
import { REPO_ROOT } from "../testing/shared-data.ts";
import { downloadPack } from "./download-pack.ts";
import { openLockFile } from "./lock-file.ts";
import { measureDrift } from "./measure-drift.ts";
import { checkPackDrift } from "./pack-drift.ts";
import { decideDefault, describeDrift } from "./precision-drift.ts";
import { createProgress } from "./progress.ts";

// Built by `npm run bench:pack`: ViT-B/32-shaped towers (seeded random weights) in fp32 and int8.
const BENCH_PACK = join(REPO_ROOT, ".cache/packs/clip-vit-b32-bench");
const hasBenchPack = existsSync(join(BENCH_PACK, "pack.json"));
if (!hasBenchPack) {
  console.warn("skipping the int8 drift check on the benchmark pack: run `npm run bench:pack`");
}
if (!hasQuantizer) {
  console.warn("skipping the int8 drift check on the quantized embedded pack: no onnx in python3");
}

const tmpDirs: string[] = [];
async function tmp() {
  const dir = await mkdtemp(join(tmpdir(), "drift-"));
  tmpDirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of tmpDirs) await rm(dir, { recursive: true, force: true });
});

async function hashes(pack: ModelPack) {
  const files = manifestFiles(pack.manifest);
  return Object.fromEntries(
    await Promise.all(files.map(async (f) => [f, await sha256File(pack.file(f))])),
  );
}

describe("the int8 drift check on the embedded packs", () => {
  it("has nothing to check on fashion-mnist as shipped (no int8 file)", async () => {
    const pack = await loadPack(join(REPO_ROOT, "models/fashion-mnist"));
    expect(await measureDrift(pack, { cacheDir: await tmp() })).toBeNull();
  });

  it("measures imagenet's int8 vision tower alone vs in a batch of 8, with no fp32 to compare", async () => {
    const copy = await copyPack(join(REPO_ROOT, "models/imagenet"), (m) => {
      m.clip.vision.precisions = { int8: m.clip.vision.model };
    });
    try {
      const pack = await loadPack(copy.dir);
      const measured = await measureDrift(pack, { cacheDir: await tmp(), threads: 1 });
      if (!measured) throw new Error("nothing measured");
      const check = decideDefault(measured);
      console.log(describeDrift(check).join("\n"));
      expect(check).toMatchObject({
        int8File: "clip/vision_model_int8.onnx",
        fp32File: null,
        int8VsFp32: null,
        images: 30,
        imageSource: "photos of fashion-mnist/samples",
        top1Over: "the pack's 1000 label embeddings",
        defaultPrecision: "int8",
      });
      expect(check.aloneVsBatchOf8.fp32).toBeNull();
      expect(check.aloneVsBatchOf8.int8.cosineMean).toBeGreaterThan(0);
      expect(check.aloneVsBatchOf8.int8.cosineMean).toBeLessThanOrEqual(1.000001);
    } finally {
      await copy.remove();
    }
  }, 120_000);
});

describe.skipIf(!hasQuantizer)(
  "the int8 drift check on fashion-mnist with quantized towers",
  () => {
    let copy: Awaited<ReturnType<typeof quantizedEmbeddedPack>>;
    let cacheDir: string;
    beforeAll(async () => {
      // As a downloaded pack: fp32 and int8 listed, no label embeddings shipped.
      copy = await quantizedEmbeddedPack((m) => {
        m.clip.vision.precisions.fp32 = m.clip.vision.model;
        m.clip.text.precisions.fp32 = m.clip.text.model;
        delete m.clip.text_embeddings;
      });
      cacheDir = await tmp();
    }, 60_000);
    afterAll(() => copy?.remove());

    it("keeps int8 that matches fp32, records it in the lock file and pack.json, and leaves the label embeddings for the service", async () => {
      const lock = await openLockFile(join(cacheDir, "models/lock.json"));
      const pack = await loadPack(copy.dir);
      const {
        check,
        from,
        pack: checked,
      } = await checkPackDrift(pack, await hashes(pack), lock, {
        cacheDir,
        threads: 1,
      });
      if (!check) throw new Error("nothing checked");
      console.log(describeDrift(check).join("\n"));
      expect(from).toBe("measured");
      expect(check).toMatchObject({
        images: 30,
        imageSource: "pack samples",
        top1Over: "10 labels embedded by clip/text_model_int8.onnx",
        defaultPrecision: "int8",
        shortfalls: [],
      });
      expect(check.int8VsFp32?.cosineMean).toBeGreaterThanOrEqual(0.99);
      // fp32 has no batch-dependent step: alone and batched agree to rounding.
      expect(check.aloneVsBatchOf8.fp32?.cosineMean).toBeGreaterThan(0.99999);
      const written = JSON.parse(await readFile(lock.path, "utf8"));
      expect(written.drift[pack.name]).toMatchObject({ defaultPrecision: "int8", images: 30 });
      expect(checked.manifest.precision_check?.default_precision).toBe("int8");
      expect(checked.manifest.clip?.vision.precisions?.int8).toBe("clip/vision_model_int8.onnx");

      // The service's first start reads the labels the check embedded.
      const models = await loadModels(checked, { intraOpThreads: 1, cacheDir, precision: "int8" });
      expect(models.clip?.labelEmbeddingsSource).toBe("cache");

      const again = await checkPackDrift(checked, await hashes(pack), lock, {
        cacheDir,
        threads: 1,
      });
      expect(again.from).toBe("lock file");
    }, 120_000);

    it("defaults the pack to fp32 when its int8 misses the bar, so VLM_PRECISION=int8 runs fp32", async () => {
      const lockPath = join(await tmp(), "lock.json");
      const lock = await openLockFile(lockPath);
      const pack = await loadPack(copy.dir);
      const files = await hashes(pack);
      const measured = await measureDrift(pack, { cacheDir, threads: 1 });
      if (!measured) throw new Error("nothing measured");
      // The same files and CPU, measured as drifting (as the issue reports for a public export).
      await lock.recordDrift(pack.name, {
        ...decideDefault({ ...measured, int8VsFp32: { top1Agreement: 0.9, cosineMean: 0.94 } }),
        files,
      });

      const { check, from, pack: checked } = await checkPackDrift(pack, files, lock, { cacheDir });
      expect(from).toBe("lock file");
      expect(check?.defaultPrecision).toBe("fp32");
      expect(checked.manifest.precision_check?.reason).toContain(
        "int8 vs fp32: top-1 agreement 0.9000 < 0.99",
      );
      const models = await loadModels(checked, { intraOpThreads: 1, cacheDir, precision: "int8" });
      expect(models.clip?.vision.model.path).toBe(checked.file("clip/vision_model.onnx"));
      expect(models.clip?.text.model.path).toBe(checked.file("clip/text_model.onnx"));
    }, 120_000);
  },
);

describe.skipIf(!hasQuantizer)("the int8 drift check when models:download assembles a pack", () => {
  it("runs on the downloaded int8 and fp32 files, prints its verdict and writes it to the lock file and pack.json", async () => {
    const quantized = await quantizedEmbeddedPack();
    const host = await startModelHost(hostedFixtureFiles());
    try {
      const dir = await tmp();
      const catalogDir = await writeFixtureCatalog(join(dir, "catalog"), host.url);
      const entryFile = join(catalogDir, `${FIXTURE_PACK}.json`);
      const entry = JSON.parse(await readFile(entryFile, "utf8"));
      for (const tower of ["vision", "text"]) {
        const path = `clip/${tower}_model_int8.onnx`;
        const bytes = await readFile(join(quantized.dir, path));
        host.files.set(`/example/int8/${tower}.onnx`, { bytes, lfs: true });
        entry.downloads.push({
          path,
          url: `${host.url}/example/int8/${tower}.onnx`,
          sha256: sha256Hex(bytes),
          size: bytes.length,
          checksumSource: "pinned: computed from the served file",
        });
        entry.manifest.clip[tower].precisions = {
          fp32: entry.manifest.clip[tower].model,
          int8: path,
        };
      }
      await writeFile(entryFile, JSON.stringify(entry));
      const output: string[] = [];
      const cacheDir = join(dir, "cache");
      const { pack, drift } = await downloadPack(FIXTURE_PACK, {
        cacheDir,
        catalogDir,
        offline: false,
        mirror: null,
        progress: createProgress({ write: (text: string) => output.push(text) }),
      });
      expect(drift?.check).toMatchObject({ defaultPrecision: "int8", images: 30 });
      expect(output.join("")).toContain("checking int8 CLIP against fp32 on the pack's images\n");
      expect(output.join("")).toContain(
        "embedding 10 labels × 8 templates (80 prompts) with clip/text_model_int8.onnx",
      );
      const lock = JSON.parse(await readFile(join(cacheDir, "models/lock.json"), "utf8"));
      expect(lock.drift[FIXTURE_PACK]).toMatchObject({
        int8File: "clip/vision_model_int8.onnx",
        fp32File: "clip/vision_model.onnx",
        defaultPrecision: "int8",
      });
      expect(pack.manifest.precision_check?.default_precision).toBe("int8");
    } finally {
      await host.close();
      await quantized.remove();
    }
  }, 120_000);
});

describe.skipIf(!hasBenchPack)(
  "the int8 drift check on the benchmark pack (ViT-B/32 shapes)",
  () => {
    it("measures int8 against fp32 and alone against a batch of 8, and decides by the bar", async () => {
      const pack = await loadPack(BENCH_PACK);
      const measured = await measureDrift(pack, { cacheDir: await tmp() });
      if (!measured) throw new Error("nothing measured");
      const check = decideDefault(measured);
      console.log(describeDrift(check).join("\n"));
      expect(check).toMatchObject({
        int8File: "clip/vision_model_int8.onnx",
        fp32File: "clip/vision_model.onnx",
        images: 30,
        imageSource: "photos of fashion-mnist/samples",
      });
      expect(check.aloneVsBatchOf8.fp32?.cosineMean).toBeGreaterThan(0.9999);
      const versus = check.int8VsFp32;
      if (!versus) throw new Error("int8 was not compared with fp32");
      const meets = versus.cosineMean >= 0.99 && versus.top1Agreement >= 0.99;
      const batchMeets =
        check.aloneVsBatchOf8.int8.cosineMean >= 0.99 &&
        check.aloneVsBatchOf8.int8.top1Agreement >= 0.99;
      expect(check.defaultPrecision).toBe(meets && batchMeets ? "int8" : "fp32");
    }, 600_000);
  },
);
