import type { ModelPack } from "../packs/load-pack.ts";
import { assemblePack } from "./assemble-pack.ts";
import { cacheLayout } from "./cache-layout.ts";
import { CATALOG_DIR, loadCatalogPack } from "./catalog.ts";
import { type FetchedFile, type FetchOptions, fetchFiles } from "./fetch-files.ts";
import { openLockFile } from "./lock-file.ts";
import { checkPackDrift, type PackDrift } from "./pack-drift.ts";
import { type DownloadPrecision, selectPrecision } from "./select-precision.ts";

export interface DownloadPackOptions extends Omit<FetchOptions, "cache" | "lock"> {
  /** CACHE_DIR: files, lock file and assembled packs live under its models/ folder. */
  cacheDir: string;
  /** Catalog folder. Default the checked-in one. */
  catalogDir?: string;
  /** Where to assemble the pack. Default <cacheDir>/models/packs/<pack>. */
  outDir?: string;
  /** Fetch only this precision's files (every tower runs it). Default: every file. */
  precision?: DownloadPrecision;
  /** Check int8 CLIP against fp32 once the pack is assembled. Default true. */
  driftCheck?: boolean;
}

export interface DownloadedPack {
  readonly pack: ModelPack;
  readonly files: readonly FetchedFile[];
  /** The int8 drift check; null when skipped or when the pack has no int8 CLIP. */
  readonly drift: PackDrift | null;
}

/** The whole command: catalog entry → verified files in the cache → a pack folder. */
export async function downloadPack(
  name: string,
  options: DownloadPackOptions,
): Promise<DownloadedPack> {
  const catalogPack = await loadCatalogPack(name, options.catalogDir ?? CATALOG_DIR);
  const entry = options.precision ? selectPrecision(catalogPack, options.precision) : catalogPack;
  const cache = cacheLayout(options.cacheDir);
  const lock = await openLockFile(cache.lockFile);
  const files = await fetchFiles(entry.downloads, { ...options, cache, lock });
  const pack = await assemblePack(entry, files, options.outDir ?? cache.packDir(entry.name));
  if (options.driftCheck === false || !pack.manifest.clip?.vision.precisions?.int8) {
    return { pack, files, drift: null };
  }
  options.progress.note("checking int8 CLIP against fp32 on the pack's images");
  const hashes = Object.fromEntries(files.map((f) => [f.download.path, f.sha256]));
  let drift: PackDrift;
  try {
    drift = await checkPackDrift(pack, hashes, lock, {
      cacheDir: options.cacheDir,
      log: (message) => options.progress.note(message),
    });
  } catch (error) {
    // The files are verified and the pack is whole; a check that cannot run is reported, not fatal.
    options.progress.note(
      `the int8 drift check could not run (${(error as Error).message}); the pack keeps its defaults`,
    );
    return { pack, files, drift: null };
  }
  return { pack: drift.pack, files, drift };
}
