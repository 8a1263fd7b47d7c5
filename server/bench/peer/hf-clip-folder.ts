import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { packManifestSchema } from "../../packs/manifest.ts";
import {
  type ClipDims,
  clipConfig,
  clipTokenizerConfig,
  clipTokenizerJson,
  VIT_B32_DIMS,
} from "./hf-clip-files.ts";

const COMPOSER = "models/scripts/compose_clip_model.py";

/**
 * Writes the Hugging Face layout of a pack's CLIP that Transformers.js v3 loads for
 * `pipeline("zero-shot-image-classification", …)`: config.json, preprocessor_config.json (the
 * pack's own), tokenizer.json and tokenizer_config.json (from the pack's BPE files) and
 * onnx/model.onnx, both fp32 towers composed into one CLIPModel graph by Debian's python3 + onnx.
 * The composed graph is kept while the towers it came from are unchanged.
 */
export async function writeHfClipFolder(
  packDir: string,
  outDir: string,
  { dims = VIT_B32_DIMS, python = "/usr/bin/python3", log = (_line: string) => {} } = {},
): Promise<void> {
  const manifest = packManifestSchema.parse(
    JSON.parse(await readFile(join(packDir, "pack.json"), "utf8")),
  );
  const clip = manifest.clip;
  if (!clip) throw new Error(`${packDir} has no CLIP`);
  const packDims: ClipDims = { ...dims, logitScale: clip.logit_scale };
  await mkdir(join(outDir, "onnx"), { recursive: true });
  const json = (name: string, value: unknown) =>
    writeFile(join(outDir, name), `${JSON.stringify(value, null, 2)}\n`);
  const vocab = JSON.parse(await readFile(join(packDir, clip.tokenizer.vocab), "utf8"));
  const merges = await readFile(join(packDir, clip.tokenizer.merges), "utf8");
  await json("config.json", clipConfig(packDims));
  await json("tokenizer.json", clipTokenizerJson(vocab, merges));
  await json("tokenizer_config.json", clipTokenizerConfig(clip.text.context_length));
  await copyFile(join(packDir, clip.preprocess), join(outDir, "preprocessor_config.json"));

  const vision = join(packDir, clip.vision.model);
  const text = join(packDir, clip.text.model);
  const model = join(outDir, "onnx", "model.onnx");
  const stampFile = join(outDir, "onnx", "model.source.json");
  const stamp = JSON.stringify(
    await Promise.all(
      [vision, text].map(async (file) => {
        const { size, mtimeMs } = await stat(file);
        return { size, mtimeMs };
      }),
    ).then((sources) => ({ sources, logitScale: clip.logit_scale })),
  );
  const current = existsSync(stampFile) ? await readFile(stampFile, "utf8") : null;
  if (!existsSync(model) || current !== stamp) {
    log(`composing ${model} from the pack's towers`);
    await promisify(execFile)(
      python,
      [COMPOSER, vision, text, model, "--logit-scale", String(clip.logit_scale)],
      { maxBuffer: 1 << 20 },
    );
    await writeFile(stampFile, stamp);
  }
}
