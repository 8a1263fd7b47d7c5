import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Hex sha256 of bytes in memory: an image's identity in caches, DataLoaders and answers. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Hex sha256 of a file, streamed (model files are hundreds of megabytes). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
