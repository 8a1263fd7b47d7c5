import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "../hashing/sha256.ts";
import type { HostedFile } from "./model-host.ts";
import { REPO_ROOT } from "./shared-data.ts";

const EMBEDDED = join(REPO_ROOT, "models/fashion-mnist");
/** A GitHub-style layout: plain files, pinned sha256 in the catalog. */
const ZOO_PATH =
  "/example/fashion-models/raw/0123456789abcdef0123456789abcdef01234567/fashion-mnist";
/** A Hugging Face-style layout: LFS models behind a redirect with X-Linked-Etag, trust-on-first-use. */
const HUB_PATH = "/example/fashion-clip/resolve/89abcdef0123456789abcdef0123456789abcdef";

export const FIXTURE_PACK = "fashion-mnist-download";

interface FixtureFile {
  /** URL path on the host. */
  urlPath: string;
  /** Path in the pack folder. */
  packPath: string;
  /** The embedded pack's file served there. */
  source: string;
  pinned: boolean;
  lfs: boolean;
}

/** The embedded pack's real files, published the way the real catalog's hosts publish theirs. */
export const FIXTURE_FILES: readonly FixtureFile[] = [
  zoo("cnn/model.onnx"),
  zoo("cnn/preprocessor_config.json"),
  zoo("labels.json"),
  hub("onnx/vision_model.onnx", "clip/vision_model.onnx", true),
  hub("onnx/text_model.onnx", "clip/text_model.onnx", true),
  hub("vocab.json", "clip/vocab.json", false),
  hub("merges.txt", "clip/merges.txt", false),
  hub("preprocessor_config.json", "clip/preprocessor_config.json", false),
];

function zoo(path: string): FixtureFile {
  return { urlPath: `${ZOO_PATH}/${path}`, packPath: path, source: path, pinned: true, lfs: false };
}

function hub(path: string, packPath: string, lfs: boolean): FixtureFile {
  return { urlPath: `${HUB_PATH}/${path}`, packPath, source: packPath, pinned: false, lfs };
}

export function fixtureBytes(file: FixtureFile): Buffer {
  return readFileSync(join(EMBEDDED, file.source));
}

export function fixtureFile(packPath: string): FixtureFile {
  const file = FIXTURE_FILES.find((f) => f.packPath === packPath);
  if (!file) throw new Error(`no fixture file ${packPath}`);
  return file;
}

/** What the model host serves: every fixture file at its URL path. */
export function hostedFixtureFiles(): Record<string, HostedFile> {
  return Object.fromEntries(
    FIXTURE_FILES.map((file) => [file.urlPath, { bytes: fixtureBytes(file), lfs: file.lfs }]),
  );
}

/**
 * Writes a catalog folder with one pack: the embedded pack's models downloaded from `baseUrl`,
 * with sha256 pins computed from the served files and no precomputed label embeddings (the
 * service computes them at start, as it does for the real CLIP pack).
 */
export async function writeFixtureCatalog(dir: string, baseUrl: string): Promise<string> {
  const manifest = JSON.parse(readFileSync(join(EMBEDDED, "pack.json"), "utf8"));
  delete manifest.clip.text_embeddings;
  const entry = {
    name: FIXTURE_PACK,
    description: "The embedded Fashion-MNIST pack, downloaded as a catalog pack",
    downloads: FIXTURE_FILES.map((file) => ({
      path: file.packPath,
      url: `${baseUrl}${file.urlPath}`,
      sha256: file.pinned ? sha256Hex(fixtureBytes(file)) : "trust-on-first-use",
      ...(file.pinned ? { size: fixtureBytes(file).length } : {}),
      checksumSource: file.pinned ? "computed from the served file" : "trust-on-first-use",
    })),
    write: {
      "clip/templates.json": JSON.parse(
        readFileSync(join(EMBEDDED, "clip/templates.json"), "utf8"),
      ),
    },
    manifest: { ...manifest, name: undefined, description: undefined },
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${FIXTURE_PACK}.json`), JSON.stringify(entry, null, 2));
  return dir;
}
