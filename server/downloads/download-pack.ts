import type { ModelPack } from "../packs/load-pack.ts";
import { assemblePack } from "./assemble-pack.ts";
import { cacheLayout } from "./cache-layout.ts";
import { CATALOG_DIR, loadCatalogPack } from "./catalog.ts";
import { type FetchedFile, type FetchOptions, fetchFiles } from "./fetch-files.ts";
import { openLockFile } from "./lock-file.ts";

export interface DownloadPackOptions extends Omit<FetchOptions, "cache" | "lock"> {
  /** CACHE_DIR: files, lock file and assembled packs live under its models/ folder. */
  cacheDir: string;
  /** Catalog folder. Default the checked-in one. */
  catalogDir?: string;
  /** Where to assemble the pack. Default <cacheDir>/models/packs/<pack>. */
  outDir?: string;
}

export interface DownloadedPack {
  readonly pack: ModelPack;
  readonly files: readonly FetchedFile[];
}

/** The whole command: catalog entry → verified files in the cache → a pack folder. */
export async function downloadPack(
  name: string,
  options: DownloadPackOptions,
): Promise<DownloadedPack> {
  const entry = await loadCatalogPack(name, options.catalogDir ?? CATALOG_DIR);
  const cache = cacheLayout(options.cacheDir);
  const lock = await openLockFile(cache.lockFile);
  const files = await fetchFiles(entry.downloads, { ...options, cache, lock });
  const pack = await assemblePack(entry, files, options.outDir ?? cache.packDir(entry.name));
  return { pack, files };
}
