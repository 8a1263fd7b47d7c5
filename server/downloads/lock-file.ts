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
const lockSchema = z.object({ version: z.literal(1), files: z.record(z.string(), entrySchema) });

export type LockEntry = z.infer<typeof entrySchema>;

/**
 * sha256 of trust-on-first-use files, keyed by catalog URL: recorded on the first download,
 * then every later download and cache check must match it (like a package lock file).
 */
export interface LockFile {
  readonly path: string;
  get(url: string): LockEntry | undefined;
  record(url: string, entry: Omit<LockEntry, "recordedAt">): Promise<void>;
}

export async function openLockFile(path: string): Promise<LockFile> {
  const files: Record<string, LockEntry> = existsSync(path) ? await read(path) : {};
  return {
    path,
    get: (url) => files[url],
    async record(url, entry) {
      files[url] = { ...entry, recordedAt: new Date().toISOString() };
      await mkdir(dirname(path), { recursive: true });
      // Write then rename: a crash mid-write must not leave a lock that pins nothing.
      const partial = `${path}.${process.pid}.partial`;
      await writeFile(partial, `${JSON.stringify({ version: 1, files }, null, 2)}\n`);
      await rename(partial, path);
    },
  };
}

async function read(path: string): Promise<Record<string, LockEntry>> {
  const parsed = lockSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
  if (!parsed.success) throw new Error(`${path} is not a model lock file: ${parsed.error.message}`);
  return parsed.data.files;
}
