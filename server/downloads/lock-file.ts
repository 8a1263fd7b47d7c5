import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";

const entrySchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  /** "server": the sha256 the server stated (X-Linked-Etag) and the bytes matched; "computed": none was stated. */
  source: z.enum(["server", "computed"]),
  recordedAt: z.string(),
});
const agreementSchema = z.object({ top1Agreement: z.number(), cosineMean: z.number() });
/** A pack's int8 drift check (precision-drift.ts), with the files and CPU it was measured on. */
const driftSchema = z.object({
  files: z.record(z.string(), z.string()),
  int8File: z.string(),
  fp32File: z.string().nullable(),
  images: z.number().int(),
  imageSource: z.string(),
  top1Over: z.string(),
  int8VsFp32: agreementSchema.nullable(),
  aloneVsBatchOf8: z.object({ int8: agreementSchema, fp32: agreementSchema.nullable() }),
  cpu: z.string(),
  defaultPrecision: z.enum(["int8", "fp32"]),
  shortfalls: z.array(z.string()),
  recordedAt: z.string(),
});
const lockSchema = z.object({
  version: z.literal(1),
  files: z.record(z.string(), entrySchema),
  drift: z.record(z.string(), driftSchema).default({}),
});

export type LockEntry = z.infer<typeof entrySchema>;
export type LockedDrift = z.infer<typeof driftSchema>;

/**
 * sha256 of trust-on-first-use files, keyed by catalog URL: recorded on the first download,
 * then every later download and cache check must match it (like a package lock file). Also
 * each pack's int8 drift check, keyed by pack name.
 */
export interface LockFile {
  readonly path: string;
  get(url: string): LockEntry | undefined;
  record(url: string, entry: Omit<LockEntry, "recordedAt">): Promise<void>;
  drift(pack: string): LockedDrift | undefined;
  recordDrift(pack: string, check: Omit<LockedDrift, "recordedAt">): Promise<void>;
}

export async function openLockFile(path: string): Promise<LockFile> {
  const lock = existsSync(path) ? await read(path) : { version: 1 as const, files: {}, drift: {} };
  const save = async () => {
    await mkdir(dirname(path), { recursive: true });
    // Write then rename: a crash mid-write must not leave a lock that pins nothing.
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, `${JSON.stringify(lock, null, 2)}\n`);
    await rename(partial, path);
  };
  return {
    path,
    get: (url) => lock.files[url],
    async record(url, entry) {
      lock.files[url] = { ...entry, recordedAt: new Date().toISOString() };
      await save();
    },
    drift: (pack) => lock.drift[pack],
    async recordDrift(pack, check) {
      lock.drift[pack] = { ...check, recordedAt: new Date().toISOString() };
      await save();
    },
  };
}

async function read(path: string) {
  const parsed = lockSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
  if (!parsed.success) throw new Error(`${path} is not a model lock file: ${parsed.error.message}`);
  return parsed.data;
}
