import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256File } from "../hashing/sha256.ts";
import type { CpuFeatures } from "./cpu-features.ts";
import type { Variant, VariantChoice } from "./variant-choice.ts";

/** The models a choice is made for. */
export type VariantRole = "cnn" | "clip_vision";

/** What a choice depends on: the files compared, the CPU, the cores it could use. */
export interface VariantKeyParts {
  role: VariantRole;
  /** sha256 of every candidate file, by pack-relative path. */
  fileHashes: Record<string, string>;
  cpu: CpuFeatures;
  /** Logical cores, and the configured per-session threads: the layouts tried depend on both. */
  cores: number;
  configuredThreads: number;
}

/** A choice as stored in the cache dir. */
export interface StoredChoice {
  key: string;
  role: VariantRole;
  cpu: string;
  chosen: Variant;
  trials: {
    variant: Variant;
    msPerImage: number | null;
    top1Agreement: number;
    cosineMean: number;
    verdict: string;
  }[];
  measuredAt: string;
}

/** Hashes the candidate files (stream reads: a few hundred MB take about a second). */
export async function hashFiles(
  files: readonly string[],
  resolve: (file: string) => string,
): Promise<Record<string, string>> {
  const unique = [...new Set(files)].sort();
  const hashes = await Promise.all(unique.map((file) => sha256File(resolve(file))));
  return Object.fromEntries(unique.map((file, i) => [file, hashes[i] as string]));
}

export function variantKey(parts: VariantKeyParts): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        parts.role,
        Object.entries(parts.fileHashes).sort(),
        parts.cpu.model,
        parts.cpu.flags,
        parts.cores,
        parts.configuredThreads,
      ]),
    )
    .digest("hex")
    .slice(0, 24);
}

/** `<cacheDir>/variants/<role>-<key>.json`. */
export function variantCacheFile(cacheDir: string, role: VariantRole, key: string): string {
  return join(cacheDir, "variants", `${role}-${key}.json`);
}

/** The stored choice for this key, or null when none was measured (or the file is unreadable). */
export async function readStoredChoice(file: string, key: string): Promise<StoredChoice | null> {
  if (!existsSync(file)) return null;
  try {
    const stored = JSON.parse(await readFile(file, "utf8")) as StoredChoice;
    return stored.key === key ? stored : null;
  } catch {
    return null;
  }
}

/** Writes atomically, so a replica reading at the same time sees the old file or the new one. */
export async function writeStoredChoice(
  file: string,
  key: string,
  role: VariantRole,
  cpu: string,
  choice: VariantChoice,
): Promise<StoredChoice> {
  const stored: StoredChoice = {
    key,
    role,
    cpu,
    chosen: choice.chosen.variant,
    trials: choice.considered.map(({ trial, verdict }) => ({
      variant: trial.variant,
      msPerImage: Number.isFinite(trial.msPerImage) ? trial.msPerImage : null,
      top1Agreement: trial.top1Agreement,
      cosineMean: trial.cosineMean,
      verdict,
    })),
    measuredAt: new Date().toISOString(),
  };
  await mkdir(join(file, ".."), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(stored, null, 2)}\n`);
  await rename(temporary, file);
  return stored;
}
