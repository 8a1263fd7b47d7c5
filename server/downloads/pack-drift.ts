import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cpuFeatures, cpuLine } from "../inference/cpu-features.ts";
import { loadPack, type ModelPack } from "../packs/load-pack.ts";
import type { PackManifest } from "../packs/manifest.ts";
import type { LockFile } from "./lock-file.ts";
import { type MeasureDriftOptions, measureDrift } from "./measure-drift.ts";
import { type DriftCheck, decideDefault } from "./precision-drift.ts";

export interface PackDrift {
  readonly pack: ModelPack;
  /** Null when the pack has no int8 CLIP vision file: nothing to check. */
  readonly check: DriftCheck | null;
  /** Whether the check was measured now, or read from the lock file (same files, same CPU). */
  readonly from: "measured" | "lock file" | null;
}

/**
 * Checks an assembled pack's int8 CLIP against fp32, records the result in the lock file and
 * pack.json, and makes fp32 the pack's default when int8 misses the bar. The lock file's record
 * is reused while the files and the CPU are the same, so a second run costs nothing.
 */
export async function checkPackDrift(
  pack: ModelPack,
  /** sha256 of the pack's downloaded files by pack path: a record for other files is stale. */
  hashes: Readonly<Record<string, string>>,
  lock: LockFile,
  options: MeasureDriftOptions,
): Promise<PackDrift> {
  const int8File = pack.manifest.clip?.vision.precisions?.int8;
  if (!int8File) return { pack, check: null, from: null };
  const locked = lock.drift(pack.name);
  // int8 kernels differ between CPUs: a record from another machine is measured again.
  const cpu = cpuLine(cpuFeatures());
  const measuredBefore =
    locked && locked.cpu === cpu && sameFiles(locked.files, hashes) ? locked : null;
  let check: DriftCheck;
  if (measuredBefore) check = decideDefault(measuredBefore);
  else {
    const measured = await measureDrift(pack, options);
    if (!measured) return { pack, check: null, from: null };
    check = decideDefault(measured);
  }
  if (!measuredBefore) {
    const { defaultPrecision, shortfalls, ...measurement } = check;
    await lock.recordDrift(pack.name, {
      ...measurement,
      defaultPrecision,
      shortfalls,
      files: { ...hashes },
    });
  }
  await writeManifest(pack.dir, applyCheck(pack.manifest, check));
  return { pack: await loadPack(pack.dir), check, from: measuredBefore ? "lock file" : "measured" };
}

function sameFiles(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/**
 * pack.json with the check's verdict: always the reason, and for fp32 the int8 files left out
 * of both CLIP towers' `precisions` (the text tower too: label embeddings must come from the
 * tower that matches the images'), so VLM_PRECISION=int8 runs the default fp32 files.
 */
export function applyCheck(manifest: PackManifest, check: DriftCheck): PackManifest {
  const clip = manifest.clip;
  if (!clip) return manifest;
  const reason =
    check.shortfalls.length === 0
      ? `int8 meets the bar on ${check.images} ${check.imageSource} (${check.cpu})`
      : `int8 misses the bar on ${check.images} ${check.imageSource} (${check.cpu}): ${check.shortfalls.join("; ")}`;
  const precision_check = { default_precision: check.defaultPrecision, reason };
  if (check.defaultPrecision === "int8") return { ...manifest, precision_check };
  const withoutInt8 = <T extends { precisions?: Partial<Record<string, string>> | undefined }>(
    tower: T,
  ): T => {
    const { int8: _, ...rest } = tower.precisions ?? {};
    return { ...tower, precisions: rest };
  };
  return {
    ...manifest,
    clip: { ...clip, vision: withoutInt8(clip.vision), text: withoutInt8(clip.text) },
    precision_check,
  };
}

async function writeManifest(dir: string, manifest: PackManifest) {
  const path = join(dir, "pack.json");
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(partial, path);
}
