import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/**
 * A short, stable name for what a model computes: the SHA-256 of its file and of the
 * preprocessing it is fed with. Caches shared across replicas key by it, not by path, so two
 * machines with the same model share entries and a changed model never reads stale ones.
 */
export async function modelFingerprint(path: string, preprocess: unknown): Promise<string> {
  const hash = createHash("sha256");
  // Streamed: a CLIP vision tower is tens to hundreds of megabytes.
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  hash.update(JSON.stringify(preprocess));
  return hash.digest("hex").slice(0, 16);
}
