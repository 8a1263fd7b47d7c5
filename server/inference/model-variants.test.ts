import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPack } from "../packs/load-pack.ts";
import { createTestApp } from "../testing/test-app.ts";
import { measureVariant, resolveVariant } from "./model-variants.ts";

// The embedded pack's models are small, so measuring every variant takes a second or two.
describe("the variant measured for this machine, on the embedded pack", () => {
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), "variants-"));
  });
  afterAll(() => rm(cacheDir, { recursive: true, force: true }));

  it("is configured until measured, then read back for the same files, CPU and threads", async () => {
    const pack = await loadPack("fashion-mnist");
    const context = { cacheDir, configuredThreads: 1 };
    expect(await resolveVariant(pack, "clip_vision", context)).toMatchObject({
      precision: "fp32",
      threads: 1,
      source: "configured",
    });
    const measured = await measureVariant(pack, "clip_vision", context);
    // The pack carries fp32 only; its samples are compared with themselves, so every trial matches.
    expect(measured?.stored.trials.every((t) => t.top1Agreement === 1)).toBe(true);
    expect(await resolveVariant(pack, "clip_vision", context)).toEqual({
      ...measured?.stored.chosen,
      source: "measured",
    });
    // Another thread count is another machine layout: not this choice.
    expect(
      await resolveVariant(pack, "clip_vision", { ...context, configuredThreads: 3 }),
    ).toMatchObject({ source: "configured", threads: 3 });
  }, 60_000);

  it("is what the service runs and reports: /ready, the models query and a metric", async () => {
    const pack = await loadPack("fashion-mnist");
    for (const role of ["cnn", "clip_vision"] as const)
      await measureVariant(pack, role, { cacheDir, configuredThreads: 1 });
    const { runtime, app, query } = await createTestApp({
      MODEL_PACK: "fashion-mnist",
      CACHE_DIR: cacheDir,
      ORT_INTRA_OP_THREADS: "1",
    });
    expect(runtime.models.variants.cnn.source).toBe("measured");

    const ready = (await (await app.fetch(new Request("http://localhost/ready"))).json()) as {
      variants: Record<string, { source: string; precision: string }>;
    };
    expect(ready.variants.clipVision).toMatchObject({ source: "measured", precision: "fp32" });

    const models = await query<{
      models: {
        role: string;
        variant: { precision: string; threads: number; source: string } | null;
      }[];
    }>("{ models { role variant { precision threads source } } }");
    const vision = models.data?.models.find((m) => m.role === "CLIP_VISION");
    expect(vision?.variant).toEqual({
      precision: "fp32",
      threads: runtime.models.variants.clipVision?.threads,
      source: "measured",
    });

    const metrics = await (await app.fetch(new Request("http://localhost/metrics"))).text();
    expect(metrics).toMatch(
      /model_variant_info\{role="clip_vision",precision="fp32",threads="\d+",source="measured"\} 1/,
    );
  }, 120_000);
});
