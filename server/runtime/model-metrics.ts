import type { Models } from "../inference/load-models.ts";
import { filePrecision } from "../packs/model-precision.ts";
import type { Metrics } from "../telemetry/metrics.ts";

/**
 * Records what each loaded model is, under its role: load time, `model_info` (pack, version,
 * file, sha256, precision) and the variant it runs with. Called after the warm-up's counters
 * are reset, so these gauges are what /metrics serves from the first scrape.
 */
export async function recordModels(metrics: Metrics, models: Models): Promise<void> {
  const { pack, cnn, clip } = models;
  const towers = [
    { role: "cnn", model: cnn.model, manifest: pack.manifest.cnn },
    ...(clip && pack.manifest.clip
      ? [
          { role: "clip_vision", model: clip.vision.model, manifest: pack.manifest.clip.vision },
          { role: "clip_text", model: clip.text.model, manifest: pack.manifest.clip.text },
        ]
      : []),
  ];
  for (const { role, model, manifest } of towers) {
    const file = model.path.slice(pack.dir.length + 1);
    metrics.modelLoad.set({ role }, model.loadSeconds);
    metrics.modelInfo.set(
      {
        pack: pack.name,
        version: pack.manifest.version ?? "unversioned",
        role,
        file,
        sha256: model.sha256,
        precision: await filePrecision(manifest, file, (f) => pack.file(f)),
      },
      1,
    );
  }
  for (const [role, variant] of Object.entries(models.variants)) {
    if (variant) {
      const { precision, threads, source } = variant;
      const label = role === "clipVision" ? "clip_vision" : role;
      metrics.modelVariant.set({ role: label, precision, threads, source }, 1);
    }
  }
}
