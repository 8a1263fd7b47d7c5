import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../server/hashing/sha256.ts";

// The committed default pack: these checks guard its files, not the build script.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const PACK = join(ROOT, "models/imagenet");
const SHARED = resolve(ROOT, "../shared");
const HAS_SHARED = existsSync(join(SHARED, "data/clip-bpe/vocab.json"));

const sha256 = (path: string) => sha256Hex(readFileSync(path));

function packFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? packFiles(path) : [relative(PACK, path)];
  });
}

describe("models/imagenet pack", () => {
  it("every file's sha256 and size match the README", () => {
    const readme = readFileSync(join(PACK, "README.md"), "utf8");
    const shas = new Map(
      [...readme.matchAll(/^- `([^`]+)`: `([0-9a-f]{64})`$/gm)].map((m) => [m[1], m[2]]),
    );
    const files = packFiles(PACK).filter((f) => f !== "README.md");
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(shas.get(file), file).toBe(sha256(join(PACK, file)));
      const bytes = statSync(join(PACK, file)).size.toLocaleString("en-US");
      expect(readme, file).toContain(`| \`${file}\` | ${bytes} |`);
    }
    expect([...shas.keys()].sort()).toEqual([...files].sort());
  });

  it("has 1000 unique labels and embeddings of the declared shape", () => {
    const manifest = JSON.parse(readFileSync(join(PACK, "pack.json"), "utf8"));
    const labels: string[] = JSON.parse(readFileSync(join(PACK, manifest.labels), "utf8"));
    expect(labels).toHaveLength(1000);
    expect(new Set(labels).size).toBe(1000);
    const [rows, cols] = manifest.clip.text_embeddings.shape;
    expect(rows).toBe(1000);
    expect(statSync(join(PACK, manifest.clip.text_embeddings.file)).size).toBe(rows * cols * 4);
  });

  it("vision tower gives the same rows at batch 1 and batch 8", async () => {
    const manifest = JSON.parse(readFileSync(join(PACK, "pack.json"), "utf8"));
    const { model, input, output } = manifest.clip.vision;
    const session = await ort.InferenceSession.create(join(PACK, model), {
      intraOpNumThreads: 1,
      extra: { session: { x64quantprecision: "1" } },
    });
    const per = 3 * 224 * 224;
    const data = new Float32Array(8 * per);
    for (let n = 0; n < 8; n++)
      for (let i = 0; i < per; i++) data[n * per + i] = 1.5 * Math.sin(0.0137 * i + 0.7 * n);
    const batch = (
      await session.run({ [input]: new ort.Tensor("float32", data, [8, 3, 224, 224]) })
    )[output] as ort.Tensor;
    const width = batch.dims[1] as number;
    expect(batch.dims).toEqual([8, width]);
    for (let n = 0; n < 8; n++) {
      const one = (
        await session.run({
          [input]: new ort.Tensor("float32", data.slice(n * per, (n + 1) * per), [1, 3, 224, 224]),
        })
      )[output] as ort.Tensor;
      const row = (batch.data as Float32Array).slice(n * width, (n + 1) * width);
      expect(Array.from(one.data as Float32Array)).toEqual(Array.from(row));
    }
    await session.release();
  });

  it.skipIf(!HAS_SHARED)("tokenizer files are the shared CLIP BPE files", () => {
    for (const name of ["vocab.json", "merges.txt"]) {
      expect(sha256(join(PACK, "clip", name))).toBe(sha256(join(SHARED, "data/clip-bpe", name)));
    }
  });
});

if (!HAS_SHARED) {
  console.warn(
    `imagenet-pack.test: ${SHARED} is absent; skipping the checks against the shared folder`,
  );
}
