import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { manifestFiles, type PackManifest, packManifestSchema } from "../packs/manifest.ts";

/** The checked-in catalog: one JSON file per downloadable pack, named after the pack. */
export const CATALOG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "catalog");

/** A catalog that is missing a pack or describes one wrongly. */
export class CatalogError extends Error {
  override name = "CatalogError";
}

/** A file whose checksum nobody could pin yet: recorded in the lock file on its first download. */
export const TRUST_ON_FIRST_USE = "trust-on-first-use";

/** A path inside the pack folder: relative, forward slashes, never leaving the folder. */
const packPath = z
  .string()
  .min(1)
  .refine(
    (path) => !isAbsolute(path) && !path.includes("\\") && !path.split("/").includes(".."),
    "must be a relative path inside the pack folder",
  );

const download = z.object({
  /** Where the file goes in the assembled pack folder. */
  path: packPath,
  /** Where it comes from. A mirror keeps this path and replaces the scheme and host. */
  url: z.url({ protocol: /^https?$/ }),
  /** The pinned sha256 (64 lowercase hex digits), or "trust-on-first-use". */
  sha256: z.union([z.string().regex(/^[0-9a-f]{64}$/), z.literal(TRUST_ON_FIRST_USE)]),
  /** Size in bytes, where known. */
  size: z.number().int().positive().optional(),
  /** Where the pinned sha256 comes from, or why the file is not pinned. */
  checksumSource: z.string().min(1),
});

const entrySchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  description: z.string().optional(),
  /** Another catalog pack whose files, written files, labels and manifest this one starts from. */
  extends: z.string().optional(),
  downloads: z.array(download).default([]),
  /** Labels derived from a downloaded file: "synset" is one WordNet id and its names a line. */
  labels: z.object({ from: packPath, format: z.literal("synset") }).optional(),
  /** Small files written as JSON into the pack (preprocessing, prompt templates). */
  write: z.record(packPath, z.unknown()).default({}),
  /** pack.json without name and description; merged key by key over the parent's. */
  manifest: z.record(z.string(), z.unknown()).default({}),
});

export type CatalogDownload = z.infer<typeof download>;
type CatalogEntry = z.infer<typeof entrySchema>;

/** A catalog pack with its parents merged in and its pack.json checked. */
export interface CatalogPack {
  readonly name: string;
  readonly downloads: readonly CatalogDownload[];
  readonly labels: CatalogEntry["labels"];
  readonly write: Readonly<Record<string, unknown>>;
  readonly manifest: PackManifest;
}

/** Names of the packs in a catalog folder. */
export async function listCatalog(dir = CATALOG_DIR): Promise<string[]> {
  return (await readdir(dir))
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -".json".length))
    .sort();
}

export async function loadCatalogPack(name: string, dir = CATALOG_DIR): Promise<CatalogPack> {
  const entry = await resolveEntry(name, dir, []);
  const parsed = packManifestSchema.safeParse({
    ...entry.manifest,
    name: entry.name,
    description: entry.description ?? "",
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new CatalogError(
      `catalog pack "${name}": its pack.json is invalid:\n  ${problems.join("\n  ")}`,
    );
  }
  const manifest = parsed.data;
  // Every file pack.json names must come from somewhere, or the pack fails only at start-up.
  const provided = new Set([
    ...entry.downloads.map((d) => d.path),
    ...Object.keys(entry.write),
    ...(entry.labels ? [manifest.labels] : []),
  ]);
  const unprovided = manifestFiles(manifest).filter((file) => !provided.has(file));
  if (unprovided.length > 0) {
    throw new CatalogError(`catalog pack "${name}": nothing provides ${unprovided.join(", ")}`);
  }
  return {
    name: entry.name,
    downloads: entry.downloads,
    labels: entry.labels,
    write: entry.write,
    manifest,
  };
}

async function resolveEntry(name: string, dir: string, seen: string[]): Promise<CatalogEntry> {
  if (seen.includes(name))
    throw new CatalogError(
      `catalog packs extend each other in a circle: "${[...seen, name].join('" extends "')}"`,
    );
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) {
    const known = (await listCatalog(dir)).join(", ") || "none";
    throw new CatalogError(`no pack "${name}" in the catalog ${dir} (packs: ${known})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new CatalogError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = entrySchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new CatalogError(`${file} is invalid:\n  ${problems.join("\n  ")}`);
  }
  const entry = parsed.data;
  if (entry.name !== name) throw new CatalogError(`${file} names the pack "${entry.name}"`);
  if (!entry.extends) return entry;
  const parent = await resolveEntry(entry.extends, dir, [...seen, name]);
  const ownPaths = new Set(entry.downloads.map((d) => d.path));
  return {
    ...entry,
    description: entry.description ?? parent.description,
    downloads: [...parent.downloads.filter((d) => !ownPaths.has(d.path)), ...entry.downloads],
    labels: entry.labels ?? parent.labels,
    write: { ...parent.write, ...entry.write },
    manifest: { ...parent.manifest, ...entry.manifest },
  };
}
