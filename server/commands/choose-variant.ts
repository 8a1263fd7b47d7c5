import { loadConfig } from "../config/config.ts";
import { measureVariant } from "../inference/model-variants.ts";
import { loadPack } from "../packs/load-pack.ts";
import { parseCommandLine } from "./command-line.ts";

/**
 * Measures which variant of the CNN and of CLIP's vision tower runs fastest on this machine
 * while matching the fp32 reference (top-1 agreement ≥ 99.5 %, mean cosine ≥ 0.999 on the
 * pack's sample images, or synthetic ones), and writes the choice to
 * `CACHE_DIR/variants/<role>-<key>.json`. The key covers the model files' sha256, the CPU model
 * and flags and the thread count, so the service picks the choice up at its next start on the
 * same machine and ignores it anywhere else. Run it after installing a pack or changing
 * machines, with the service's own MODEL_PACK, CACHE_DIR and ORT_INTRA_OP_THREADS.
 * Usage: npm run models:choose-variant
 */
parseCommandLine({
  usage: "npm run models:choose-variant",
  help: `Times every variant of the CNN and CLIP's vision tower on this machine, keeps the fastest
that matches fp32, and writes the choice under CACHE_DIR/variants for the service's next start.
Reads MODEL_PACK, CACHE_DIR and ORT_INTRA_OP_THREADS from the environment.`,
  options: {},
});
const config = loadConfig();
const pack = await loadPack(config.modelPack);
for (const role of ["cnn", "clip_vision"] as const) {
  const result = await measureVariant(pack, role, {
    cacheDir: config.cacheDir,
    configuredThreads: config.threads.ortIntraOp,
  });
  if (!result) continue;
  const { stored, file } = result;
  console.log(`\n## ${pack.name} ${role} on ${stored.cpu}\n`);
  console.log(
    "| precision | threads | exact int8 kernels | ms/image | top-1 agreement | cosine | verdict |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const t of stored.trials) {
    const v = t.variant;
    console.log(
      `| ${v.precision} | ${v.threads} | ${v.exactInt8 ? "yes" : "no"} | ${t.msPerImage?.toFixed(2) ?? "-"} | ${(t.top1Agreement * 100).toFixed(2)} % | ${t.cosineMean.toFixed(5)} | ${t.verdict} |`,
    );
  }
  console.log(`\nwritten to ${file}`);
}
