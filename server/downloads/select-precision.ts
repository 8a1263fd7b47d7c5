import type { PackManifest } from "../packs/manifest.ts";
import type { CatalogPack } from "./catalog.ts";

/** The precisions a catalog pack can be fetched in alone (fp16 is a GPU option no pack offers). */
export const DOWNLOAD_PRECISIONS = ["fp32", "int8"] as const;
export type DownloadPrecision = (typeof DOWNLOAD_PRECISIONS)[number];

type Tower = PackManifest["cnn"] | NonNullable<PackManifest["clip"]>["vision"];

/**
 * The pack with one precision only: every tower that has a file of that precision runs it as
 * its only file, and the files of its other precisions are not downloaded. Towers without such
 * a file keep theirs (a pack still needs every model). The CLIP pack in int8 is about a fifth
 * of its full size.
 */
export function selectPrecision(pack: CatalogPack, precision: DownloadPrecision): CatalogPack {
  const dropped = new Set<string>();
  const only = <T extends Tower>(tower: T): T => {
    const file = tower.precisions?.[precision];
    if (!file) return tower;
    for (const other of [tower.model, ...Object.values(tower.precisions ?? {})]) {
      if (other !== file) dropped.add(other);
    }
    return { ...tower, model: file, precisions: { [precision]: file } };
  };
  const { cnn, clip } = pack.manifest;
  const manifest: PackManifest = {
    ...pack.manifest,
    cnn: only(cnn),
    ...(clip ? { clip: { ...clip, vision: only(clip.vision), text: only(clip.text) } } : {}),
  };
  return { ...pack, manifest, downloads: pack.downloads.filter((d) => !dropped.has(d.path)) };
}
