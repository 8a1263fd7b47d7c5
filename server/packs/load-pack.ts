import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Calibration, parseCalibration } from "../calibration/index.ts";
import { type PackManifest, packManifestSchema } from "./manifest.ts";

const here = dirname(fileURLToPath(import.meta.url));
// models/ sits beside package.json: two folders up from the source (server/packs/), three from
// the build (dist/server/packs/), which leaves the packs where they are.
const root = resolve(here, existsSync(resolve(here, "../../package.json")) ? "../.." : "../../..");

/** Folder holding the packs that ship with the service, each in a folder of its own name. */
export const EMBEDDED_PACKS_DIR = join(root, "models");

/** A pack's manifest with its labels and templates read, and a resolver for its relative paths. */
export interface ModelPack {
  readonly name: string;
  readonly dir: string;
  readonly manifest: PackManifest;
  readonly labels: readonly string[];
  /** Prompt templates with one "{}" each; a bare "{}" when the pack has none. */
  readonly templates: readonly string[];
  /** The pack's fitted routing and ensembling, or null to keep the legacy fixed rule. */
  readonly calibration: Calibration | null;
  file(relative: string): string;
}

/** `MODEL_PACK` is the name of an embedded pack, or a path (absolute, or containing a slash). */
export function resolvePackDir(nameOrPath: string): string {
  const looksLikePath =
    isAbsolute(nameOrPath) || nameOrPath.includes("/") || nameOrPath.startsWith(".");
  return looksLikePath ? resolve(nameOrPath) : join(EMBEDDED_PACKS_DIR, nameOrPath);
}

export async function loadPack(nameOrPath: string): Promise<ModelPack> {
  const dir = resolvePackDir(nameOrPath);
  const manifestPath = join(dir, "pack.json");
  if (!existsSync(manifestPath)) {
    throw new Error(`model pack "${nameOrPath}": no pack.json in ${dir}`);
  }
  const parsed = packManifestSchema.safeParse(await readJson(manifestPath));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`${manifestPath} is invalid:\n  ${problems.join("\n  ")}`);
  }
  const manifest = parsed.data;
  const calibration = readCalibration(manifest.calibration, manifestPath);
  const file = (relative: string) => resolve(dir, relative);

  const labels = await readStringArray(file(manifest.labels));
  if (new Set(labels).size === 0) throw new Error(`${manifest.labels}: no labels`);
  const templates = manifest.clip?.templates
    ? await readStringArray(file(manifest.clip.templates))
    : ["{}"];
  const badTemplate = templates.find((t) => !t.includes("{}"));
  if (badTemplate !== undefined) throw new Error(`template "${badTemplate}" has no "{}"`);

  return { name: manifest.name, dir, manifest, labels, templates, calibration, file };
}

/** A malformed calibration stops the start: serving with a half-read rule would be silent harm. */
function readCalibration(section: unknown, manifestPath: string): Calibration | null {
  if (section === undefined) return null;
  try {
    return parseCalibration(section);
  } catch (error) {
    throw new Error(`${manifestPath}: ${(error as Error).message}`, { cause: error });
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function readStringArray(path: string): Promise<string[]> {
  const value = await readJson(path);
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new Error(`${path} must be a JSON array of strings`);
  }
  return value;
}
