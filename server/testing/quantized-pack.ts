import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { copyPack } from "./pack-copy.ts";
import { REPO_ROOT } from "./shared-data.ts";

// Debian's python3 with python3-onnx runs the quantizer (scripts/install-system-tools.sh installs it).
const PYTHON = "/usr/bin/python3";

/** Whether the project's INT8 quantizer can run here. */
export const hasQuantizer = (() => {
  try {
    execFileSync(PYTHON, ["-c", "import onnx"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/**
 * A copy of the embedded Fashion-MNIST pack whose CLIP towers also have int8 files, written by
 * the project's quantizer (`clip/{vision,text}_model_int8.onnx`, listed as the `int8`
 * precision). `edit` changes the manifest further. Call `remove` when done.
 */
export async function quantizedEmbeddedPack(
  edit: Parameters<typeof copyPack>[1] = () => {},
): Promise<Awaited<ReturnType<typeof copyPack>>> {
  const copy = await copyPack(join(REPO_ROOT, "models/fashion-mnist"), (m) => {
    m.clip.vision.precisions = { int8: "clip/vision_model_int8.onnx" };
    m.clip.text.precisions = { int8: "clip/text_model_int8.onnx" };
    edit?.(m);
  });
  for (const tower of ["vision", "text"]) {
    execFileSync(PYTHON, [
      join(REPO_ROOT, "models/scripts/quantize_int8.py"),
      join(copy.dir, `clip/${tower}_model.onnx`),
      join(copy.dir, `clip/${tower}_model_int8.onnx`),
      "--min-elements",
      "1024",
    ]);
  }
  return copy;
}
