import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A throw-away copy of a pack whose manifest (or files) a test changes, e.g. to drop the
 * precomputed embeddings or corrupt a model. Call `remove` when done.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests edit manifests freely, including into invalid shapes.
type LooseJson = Record<string, any>;

export async function copyPack(source: string, edit: (manifest: LooseJson) => void = () => {}) {
  const dir = await mkdtemp(join(tmpdir(), "pack-"));
  await cp(source, dir, { recursive: true });
  const manifestPath = join(dir, "pack.json");
  const manifest = JSON.parse(await readFile(manifestPath, "utf8"));
  edit(manifest);
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
