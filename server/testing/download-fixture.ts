import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "../hashing/sha256.ts";
import type { HostedFile } from "./model-host.ts";
import { REPO_ROOT } from "./shared-data.ts";

const EMBEDDED = join(REPO_ROOT, "models/fashion-mnist");
/**
 * The model zoo's layout on the Hugging Face hub (`onnxmodelzoo/legacy_models/resolve/main/
 * validated/...`): the model behind an LFS redirect with X-Linked-Etag and X-Linked-Size.
 */
const ZOO_PATH = "/example-zoo/legacy_models/resolve/main/validated/vision/fashion-mnist";
/** A hub repository pinned at a revision: LFS models behind a redirect, small plain files. */
const HUB_PATH = "/example/fashion-clip/resolve/89abcdef0123456789abcdef0123456789abcdef";

export const FIXTURE_PACK = "fashion-mnist-download";

interface FixtureFile {
  /** URL path on the host. */
  urlPath: string;
  /** Path in the pack folder. */
  packPath: string;
  /** The embedded pack's file served there. */
  source: string;
  /** Pinned sha256 and size in the fixture catalog (unless the test asks otherwise). */
  pinned: boolean;
  lfs: boolean;
}

/**
 * The embedded pack's real files, published the way the real catalog's hosts publish theirs
 * and pinned as the real catalog pins them: everything but CLIP's preprocessor_config.json,
 * for which no checksum is published.
 */
export const FIXTURE_FILES: readonly FixtureFile[] = [
  zoo("cnn/model.onnx", true),
  zoo("cnn/preprocessor_config.json", false),
  zoo("labels.json", false),
  hub("onnx/vision_model.onnx", "clip/vision_model.onnx", { lfs: true }),
  hub("onnx/text_model.onnx", "clip/text_model.onnx", { lfs: true }),
  hub("vocab.json", "clip/vocab.json", {}),
  hub("merges.txt", "clip/merges.txt", {}),
  hub("preprocessor_config.json", "clip/preprocessor_config.json", { pinned: false }),
];

function zoo(path: string, lfs: boolean): FixtureFile {
  return { urlPath: `${ZOO_PATH}/${path}`, packPath: path, source: path, pinned: true, lfs };
}

function hub(
  path: string,
  packPath: string,
  { lfs = false, pinned = true }: { lfs?: boolean; pinned?: boolean },
): FixtureFile {
  return { urlPath: `${HUB_PATH}/${path}`, packPath, source: packPath, pinned, lfs };
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
 * service computes them at start, as it does for the real CLIP pack). `trustOnFirstUse` lists
 * pack paths to leave unpinned beside the ones the real catalog leaves unpinned.
 */
export async function writeFixtureCatalog(
  dir: string,
  baseUrl: string,
  options: { trustOnFirstUse?: readonly string[] } = {},
): Promise<string> {
  const manifest = JSON.parse(readFileSync(join(EMBEDDED, "pack.json"), "utf8"));
  delete manifest.clip.text_embeddings;
  const pinned = (file: FixtureFile) =>
    file.pinned && !options.trustOnFirstUse?.includes(file.packPath);
  const entry = {
    name: FIXTURE_PACK,
    description: "The embedded Fashion-MNIST pack, downloaded as a catalog pack",
    downloads: FIXTURE_FILES.map((file) => ({
      path: file.packPath,
      url: `${baseUrl}${file.urlPath}`,
      sha256: pinned(file) ? sha256Hex(fixtureBytes(file)) : "trust-on-first-use",
      ...(pinned(file) ? { size: fixtureBytes(file).length } : {}),
      checksumSource: pinned(file) ? "computed from the served file" : "trust-on-first-use",
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
