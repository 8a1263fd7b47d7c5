import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { l2Normalise } from "../math/vector-math.ts";
import type { ClipTextModel } from "./clip-text.ts";

/** One unit-length text embedding per label, row-major, in label order. */
export interface LabelEmbeddings {
  readonly labels: readonly string[];
  readonly dim: number;
  readonly matrix: Float32Array;
}

// Prompts per text-tower call: large enough to batch well, small enough to bound memory.
const PROMPTS_PER_CALL = 256;

/**
 * CLIP's prompt ensemble: each label's embedding is the normalised sum of the normalised
 * embeddings of every template filled with it (how the pack's precomputed file was made).
 */
export async function embedLabels(
  text: ClipTextModel,
  labels: readonly string[],
  templates: readonly string[],
  onProgress?: (prompts: number) => void,
): Promise<LabelEmbeddings> {
  const prompts = labels.flatMap((label) => templates.map((t) => t.replaceAll("{}", label)));
  const embeddings: Float32Array[] = [];
  for (let start = 0; start < prompts.length; start += PROMPTS_PER_CALL) {
    embeddings.push(...(await text.embed(prompts.slice(start, start + PROMPTS_PER_CALL))));
    onProgress?.(embeddings.length);
  }
  const dim = embeddings[0]?.length ?? 0;
  const matrix = new Float32Array(labels.length * dim);
  labels.forEach((_, row) => {
    const sum = new Float32Array(dim);
    for (let t = 0; t < templates.length; t++) {
      const e = embeddings[row * templates.length + t] as Float32Array;
      for (let i = 0; i < dim; i++) sum[i] = (sum[i] as number) + (e[i] as number);
    }
    matrix.set(l2Normalise(sum), row * dim);
  });
  return { labels, dim, matrix };
}

/** Reads a headerless little-endian float32 file of labels.length × dim (every ORT platform is little-endian). */
export async function readLabelEmbeddings(
  path: string,
  labels: readonly string[],
  dim: number,
): Promise<LabelEmbeddings> {
  const bytes = await readFile(path);
  const expected = labels.length * dim * 4;
  if (bytes.byteLength !== expected) {
    throw new Error(
      `${path} has ${bytes.byteLength} bytes; ${labels.length}×${dim} float32 needs ${expected}`,
    );
  }
  // Copy into an aligned buffer: Buffer slices from the pool may start at any byte offset.
  const matrix = new Float32Array(labels.length * dim);
  new Uint8Array(matrix.buffer).set(bytes);
  return { labels, dim, matrix };
}

/**
 * The pack's label embeddings when it ships none: computed once with the text tower and kept
 * on disk, keyed by everything that decides them (text model bytes, labels, templates).
 */
export async function cachedLabelEmbeddings(options: {
  text: ClipTextModel;
  labels: readonly string[];
  templates: readonly string[];
  cacheDir: string;
  /** Prompts embedded so far, after each text-tower call; only when they are computed. */
  onProgress?: (prompts: number) => void;
}): Promise<{ embeddings: LabelEmbeddings; cacheFile: string; fromCache: boolean }> {
  const { text, labels, templates, cacheDir, onProgress } = options;
  // The text model's contents were hashed when it was opened; no need to read it again.
  const hash = createHash("sha256")
    .update(text.model.sha256)
    .update(JSON.stringify({ labels, templates }))
    .digest("hex");
  const dir = join(cacheDir, "label-embeddings");
  const cacheFile = join(dir, `${hash}.f32`);
  if (existsSync(cacheFile)) {
    const dim = (await readFile(cacheFile)).byteLength / 4 / labels.length;
    if (Number.isInteger(dim) && dim > 0) {
      return {
        embeddings: await readLabelEmbeddings(cacheFile, labels, dim),
        cacheFile,
        fromCache: true,
      };
    }
  }
  const embeddings = await embedLabels(text, labels, templates, onProgress);
  await mkdir(dir, { recursive: true });
  // Write then rename, so a crash mid-write never leaves a short file that looks valid.
  const partial = `${cacheFile}.${process.pid}.partial`;
  await writeFile(partial, new Uint8Array(embeddings.matrix.buffer));
  await rename(partial, cacheFile);
  return { embeddings, cacheFile, fromCache: false };
}
