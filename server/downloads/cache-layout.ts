import { join, resolve } from "node:path";

/**
 * Where downloads live under CACHE_DIR:
 *   models/files/<host>/<url path>        verified files, keyed by the catalog's URL (not a
 *                                         mirror's), so a mirror fills the same cache
 *   models/files/<host>/<url path>.part   an unfinished download, continued with a Range request
 *   models/lock.json                      sha256 of trust-on-first-use files, from their first
 *                                         download, and each pack's int8 drift check
 *   models/packs/<pack>/                  assembled packs (MODEL_PACK=<that folder>)
 */
export interface CacheLayout {
  readonly root: string;
  readonly lockFile: string;
  file(url: string): string;
  partFile(url: string): string;
  packDir(name: string): string;
}

export function cacheLayout(cacheDir: string): CacheLayout {
  const root = resolve(cacheDir, "models");
  // URL parsing already removed "." and ".." segments, so the path cannot leave files/.
  const file = (url: string) => {
    const { host, pathname } = new URL(url);
    return join(root, "files", host, ...pathname.split("/").filter((part) => part !== ""));
  };
  return {
    root,
    lockFile: join(root, "lock.json"),
    file,
    partFile: (url) => `${file(url)}.part`,
    packDir: (name) => join(root, "packs", name),
  };
}
