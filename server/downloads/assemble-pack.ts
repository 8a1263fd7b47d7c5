import { existsSync } from "node:fs";
import { copyFile, link, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { loadPack, type ModelPack } from "../packs/load-pack.ts";
import { CatalogError, type CatalogPack } from "./catalog.ts";
import type { FetchedFile } from "./fetch-files.ts";
import { parseSynset } from "./synset-labels.ts";

/**
 * Lays out a pack folder the service starts on (MODEL_PACK=<dir>): the cached files (hard
 * links, so a pack costs no second copy), the catalog's small written files, the labels, and
 * pack.json. Built beside the target and renamed over it, so a failed run never leaves half a
 * pack where a whole one was. Returns the pack as the service will load it.
 */
export async function assemblePack(
  pack: CatalogPack,
  files: readonly FetchedFile[],
  target: string,
): Promise<ModelPack> {
  // Absolute, so loadPack never mistakes the folder for the name of an embedded pack.
  const dir = resolve(target);
  await refuseToReplace(dir);
  const staging = `${dir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    for (const file of files) await place(file.cacheFile, join(staging, file.download.path));
    for (const [path, value] of Object.entries(pack.write)) {
      await writeJson(join(staging, path), value);
    }
    if (pack.labels) {
      const source = join(staging, pack.labels.from);
      const labels = parseSynset(await readFile(source, "utf8"), pack.labels.from);
      await writeJson(join(staging, pack.manifest.labels), labels);
    }
    await writeJson(join(staging, "pack.json"), pack.manifest);
    // Checks what the service checks first (manifest, labels, templates) before replacing anything.
    await loadPack(staging);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return loadPack(dir);
}

/** The target is replaced whole, so it must be nothing, an empty folder, or an earlier pack. */
async function refuseToReplace(dir: string) {
  if (!existsSync(dir)) return;
  const entries = await readdir(dir);
  if (entries.length > 0 && !entries.includes("pack.json")) {
    throw new CatalogError(`${dir} exists and is not a model pack; choose another --out folder`);
  }
}

async function place(cacheFile: string, target: string) {
  await mkdir(dirname(target), { recursive: true });
  try {
    await link(cacheFile, target);
  } catch {
    // Another file system (or one without hard links): a copy does the same job.
    await copyFile(cacheFile, target);
  }
}

async function writeJson(path: string, value: unknown) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
