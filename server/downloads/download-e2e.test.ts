import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FIXTURE_PACK,
  hostedFixtureFiles,
  writeFixtureCatalog,
} from "../testing/download-fixture.ts";
import { type ModelHost, startModelHost } from "../testing/model-host.ts";
import { loadEmbeddedSamples } from "../testing/shared-data.ts";
import {
  CLASSIFY,
  type ClassificationResult,
  createTestApp,
  type TestApp,
} from "../testing/test-app.ts";
import { downloadPack } from "./download-pack.ts";
import { createProgress } from "./progress.ts";

const samples = loadEmbeddedSamples();

async function classify(service: TestApp, bytes: Uint8Array) {
  const response = await service.upload<{ classify: ClassificationResult }>(
    CLASSIFY,
    { image: null, options: { vlm: "FORCE", topK: 3 } },
    [{ path: "variables.image", bytes }],
  );
  expect(response.errors).toBeUndefined();
  return response.data?.classify as ClassificationResult;
}

describe("a downloaded pack serves", () => {
  let host: ModelHost;
  let tmp: string;
  let downloaded: TestApp;
  let embedded: TestApp;

  beforeAll(async () => {
    host = await startModelHost(hostedFixtureFiles());
    tmp = await mkdtemp(join(tmpdir(), "downloaded-pack-"));
    const { pack } = await downloadPack(FIXTURE_PACK, {
      cacheDir: join(tmp, "cache"),
      catalogDir: await writeFixtureCatalog(join(tmp, "catalog"), host.url),
      offline: false,
      mirror: null,
      progress: createProgress({ write: () => true }),
    });
    downloaded = await createTestApp({ MODEL_PACK: pack.dir, CACHE_DIR: join(tmp, "cache") });
    embedded = await createTestApp();
  });

  afterAll(async () => {
    await host?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("starts the service on it, with label embeddings computed by its text tower", () => {
    const { models } = downloaded.runtime;
    expect(models.pack.name).toBe(FIXTURE_PACK);
    expect(models.clipUnavailableReason).toBeNull();
    expect(models.clip?.labelEmbeddingsSource).toBe("computed");
  });

  it("classifies real images as the embedded pack does", async () => {
    for (const sample of samples.slice(0, 4)) {
      const answer = await classify(downloaded, sample.bytes);
      const reference = await classify(embedded, sample.bytes);
      expect(answer.model).toBe(FIXTURE_PACK);
      expect(answer.vlmUsed).toBe(true);
      expect(answer.cnn.predictions).toEqual(reference.cnn.predictions);
      expect(answer.top.label).toBe(reference.top.label);
      // Same towers and templates: the computed label embeddings reproduce the shipped ones.
      answer.vlm?.predictions.forEach((p, i) => {
        expect(p.label).toBe(reference.vlm?.predictions[i]?.label);
        expect(p.score).toBeCloseTo(reference.vlm?.predictions[i]?.score ?? -1, 4);
      });
    }
    const boot = samples.find((s) => s.label === "ankle boot");
    expect((await classify(downloaded, boot?.bytes ?? Buffer.alloc(0))).top.label).toBe(
      "ankle boot",
    );
  });
});
