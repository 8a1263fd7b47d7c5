import { createHash } from "node:crypto";
import sharp from "sharp";
import type { Classifier } from "./pipeline/classify.ts";

/**
 * One real inference through the whole pipeline (decode, CNN, CLIP), so the first client does
 * not pay for onnxruntime's lazy initialisation and readiness means "has answered once".
 * Throws when the pipeline cannot answer, which keeps the service from reporting ready.
 */
export async function warmUp(classifier: Classifier): Promise<number> {
  const started = performance.now();
  const bytes = await sharp({
    create: { width: 64, height: 48, channels: 3, background: { r: 128, g: 96, b: 64 } },
  })
    .png()
    .toBuffer();
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const [outcome] = await classifier.classifyImages([{ bytes, sha256 }], {
    topK: 1,
    vlm: "FORCE",
    labels: null,
  });
  if (!outcome || outcome instanceof Error)
    throw new Error(`warm-up inference failed: ${outcome?.message}`);
  return (performance.now() - started) / 1000;
}
