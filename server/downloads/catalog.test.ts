import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { manifestFiles } from "../packs/manifest.ts";
import { freePort } from "../testing/ports.ts";
import { CatalogError, listCatalog, loadCatalogPack, TRUST_ON_FIRST_USE } from "./catalog.ts";
import { OfflineMissingError } from "./download-errors.ts";
import { downloadPack } from "./download-pack.ts";
import { mirroredUrl } from "./mirror.ts";
import { createProgress } from "./progress.ts";

const tmpDirs: string[] = [];
afterAll(async () => {
  for (const dir of tmpDirs) await rm(dir, { recursive: true, force: true });
});
async function tmp() {
  const dir = await mkdtemp(join(tmpdir(), "catalog-"));
  tmpDirs.push(dir);
  return dir;
}

describe("the checked-in catalog", () => {
  it("describes MobileNetV2 alone, and MobileNetV2 with CLIP ViT-B/32", async () => {
    expect(await listCatalog()).toEqual(["mobilenetv2-clip-vit-b32", "mobilenetv2-imagenet"]);
    const clip = await loadCatalogPack("mobilenetv2-clip-vit-b32");
    expect(clip.manifest.cnn.model).toBe("cnn/mobilenetv2-12.onnx");
    expect(clip.manifest.clip?.vision.precisions?.int8).toBe("clip/vision_model_quantized.onnx");
    expect(clip.manifest.clip?.text.precisions?.int8).toBe("clip/text_model_quantized.onnx");
    expect(clip.manifest.clip?.text_embeddings).toBeUndefined();
    expect(clip.downloads.map((d) => d.path)).toEqual([
      "cnn/mobilenetv2-12.onnx",
      "cnn/mobilenetv2-12-int8.onnx",
      "imagenet/synset.txt",
      "clip/vision_model.onnx",
      "clip/vision_model_quantized.onnx",
      "clip/text_model.onnx",
      "clip/text_model_quantized.onnx",
      "clip/vocab.json",
      "clip/merges.txt",
      "clip/preprocessor_config.json",
    ]);
    // Every file pack.json names is downloaded or written by the catalog.
    const provided = new Set([
      ...clip.downloads.map((d) => d.path),
      ...Object.keys(clip.write),
      clip.manifest.labels,
    ]);
    for (const file of manifestFiles(clip.manifest)) expect(provided, file).toContain(file);
  });

  it("pins every URL to a commit, or names main with a pinned sha256 and size, and says where each pin comes from", async () => {
    for (const name of await listCatalog()) {
      for (const d of (await loadCatalogPack(name)).downloads) {
        expect(d.url, d.path).toMatch(/^https:\/\/[^/]+\/.*\/(raw|resolve)\/([0-9a-f]{40}|main)\//);
        // A moving revision is safe only when the file itself is pinned.
        if (d.url.includes("/resolve/main/")) {
          expect(d.sha256, d.path).not.toBe(TRUST_ON_FIRST_USE);
          expect(d.checksumSource, d.path).toContain("the URL names main");
        }
        if (d.sha256 === TRUST_ON_FIRST_USE) {
          expect(d.checksumSource, d.path).toMatch(/^trust-on-first-use: /);
        } else {
          expect(d.checksumSource, d.path).toMatch(/^pinned: /);
          expect(d.size, d.path).toBeGreaterThan(0);
        }
      }
    }
  });

  it("keeps each host's path layout behind a mirror", async () => {
    const urls = (await loadCatalogPack("mobilenetv2-clip-vit-b32")).downloads.map((d) =>
      mirroredUrl(d.url, "http://127.0.0.1:8080/models/"),
    );
    expect(urls).toContain(
      "http://127.0.0.1:8080/models/onnxmodelzoo/legacy_models/resolve/main/validated/vision/classification/mobilenet/model/mobilenetv2-12.onnx",
    );
    expect(urls).toContain(
      "http://127.0.0.1:8080/models/Xenova/clip-vit-base-patch32/resolve/d15189d7028b43f1d3e65039190477f6af591c2a/onnx/vision_model_quantized.onnx",
    );
  });

  it("pins every CLIP file with a published checksum at one revision; only preprocessor_config.json is trusted on first use", async () => {
    const { downloads } = await loadCatalogPack("mobilenetv2-clip-vit-b32");
    const clip = downloads.filter((d) => d.path.startsWith("clip/"));
    const revisions = new Set(clip.map((d) => /\/resolve\/([0-9a-f]{40})\//.exec(d.url)?.[1]));
    expect([...revisions]).toEqual(["d15189d7028b43f1d3e65039190477f6af591c2a"]);
    expect(clip.filter((d) => d.sha256 === TRUST_ON_FIRST_USE).map((d) => d.path)).toEqual([
      "clip/preprocessor_config.json",
    ]);
    const vision = clip.find((d) => d.path === "clip/vision_model.onnx");
    expect(vision).toMatchObject({
      sha256: "fd6e1402a588279d1723c7534d4bcba5bc0b14b47dfab0e46f8c47b8270d7d40",
      size: 351_685_709,
    });
  });

  it("lists every file of a pack when offline with an empty cache", async () => {
    const pack = await loadCatalogPack("mobilenetv2-clip-vit-b32");
    const error = await downloadPack("mobilenetv2-clip-vit-b32", {
      cacheDir: await tmp(),
      offline: true,
      // Offline makes no request; were it to, it would go to a closed local port, not the internet.
      mirror: `http://127.0.0.1:${await freePort()}`,
      progress: createProgress({ write: () => true }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OfflineMissingError);
    expect((error as OfflineMissingError).missing).toEqual(
      pack.downloads.map((d) => ({ path: d.path, url: d.url, reason: "not in the cache" })),
    );
  });
});

describe("catalog errors", () => {
  const entry = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    downloads: [
      {
        path: "cnn/model.onnx",
        url: "https://example.com/m/raw/0000000000000000000000000000000000000000/model.onnx",
        sha256: "0".repeat(64),
        checksumSource: "pinned: test",
      },
    ],
    write: { "cnn/preprocessor_config.json": {}, "labels.json": ["a"] },
    manifest: {
      labels: "labels.json",
      cnn: {
        model: "cnn/model.onnx",
        input: "x",
        output: "y",
        preprocess: "cnn/preprocessor_config.json",
      },
    },
    ...extra,
  });
  async function catalogOf(...entries: Record<string, unknown>[]) {
    const dir = await tmp();
    for (const e of entries) await writeFile(join(dir, `${e.name}.json`), JSON.stringify(e));
    return dir;
  }
  async function problem(name: string, dir: string) {
    const error = await loadCatalogPack(name, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogError);
    return (error as Error).message;
  }

  it("names the known packs when asked for an unknown one", async () => {
    const dir = await catalogOf(entry("small"));
    expect(await problem("large", dir)).toContain('no pack "large" in the catalog');
    expect(await problem("large", dir)).toContain("(packs: small)");
  });

  it("rejects a pack.json file that nothing provides", async () => {
    const dir = await catalogOf(entry("small", { write: { "labels.json": ["a"] } }));
    expect(await problem("small", dir)).toContain("nothing provides cnn/preprocessor_config.json");
  });

  it("rejects a checksum that is neither a sha256 nor trust-on-first-use, and paths outside the pack", async () => {
    const bad = entry("small");
    (bad.downloads[0] as Record<string, unknown>).sha256 = "abc";
    (bad.downloads[0] as Record<string, unknown>).path = "../model.onnx";
    const message = await problem("small", await catalogOf(bad));
    expect(message).toContain("downloads.0.sha256");
    expect(message).toContain("downloads.0.path: must be a relative path inside the pack folder");
  });

  it("rejects packs that extend each other in a circle", async () => {
    const dir = await catalogOf(entry("a", { extends: "b" }), entry("b", { extends: "a" }));
    expect(await problem("a", dir)).toContain('"a" extends "b" extends "a"');
  });
});
