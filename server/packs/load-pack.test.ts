import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyPack } from "../testing/pack-copy.ts";
import { REPO_ROOT } from "../testing/shared-data.ts";
import { EMBEDDED_PACKS_DIR, loadPack, resolvePackDir } from "./load-pack.ts";

const EMBEDDED = join(REPO_ROOT, "models/fashion-mnist");

describe("loadPack", () => {
  it("finds an embedded pack by name and reads its labels and templates", async () => {
    const pack = await loadPack("fashion-mnist");
    expect(pack.dir).toBe(EMBEDDED);
    expect(pack.labels).toHaveLength(10);
    expect(pack.templates.length).toBeGreaterThan(0);
    expect(pack.templates.every((t) => t.includes("{}"))).toBe(true);
    expect(pack.file("cnn/model.onnx")).toBe(join(EMBEDDED, "cnn/model.onnx"));
  });

  it("treats anything with a slash as a path", () => {
    expect(resolvePackDir("fashion-mnist")).toBe(join(EMBEDDED_PACKS_DIR, "fashion-mnist"));
    expect(resolvePackDir("./some/pack")).toMatch(/\/some\/pack$/);
    expect(resolvePackDir("/abs/pack")).toBe("/abs/pack");
  });

  it("names the folder when there is no pack", async () => {
    await expect(loadPack("no-such-pack")).rejects.toThrow(/no pack\.json in .*no-such-pack/);
  });

  it("reports every problem of a bad manifest at once", async () => {
    const copy = await copyPack(EMBEDDED, (m) => {
      delete m.labels;
      m.cnn.output_kind = "scores";
      m.clip.logit_scale = -1;
    });
    try {
      const error = await loadPack(copy.dir).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/labels/);
      expect((error as Error).message).toMatch(/cnn\.output_kind/);
      expect((error as Error).message).toMatch(/clip\.logit_scale/);
    } finally {
      await copy.remove();
    }
  });

  it("reads the pack's version, and refuses a malformed one naming the file and field", async () => {
    expect((await loadPack("fashion-mnist")).manifest.version).toBe("1.0.0");
    expect((await loadPack("imagenet")).manifest.version).toBe("1.0.0");
    for (const version of [1, "1.0", "v1.0.0", "01.0.0", ""]) {
      const copy = await copyPack(EMBEDDED, (m) => {
        m.version = version;
      });
      try {
        const error = await loadPack(copy.dir).catch((e: Error) => e);
        expect(error, String(version)).toBeInstanceOf(Error);
        const message = (error as Error).message;
        expect(message).toContain(join(copy.dir, "pack.json"));
        expect(message).toMatch(
          /\n {2}version: must be a (string|semantic version) such as "1\.0\.0"/,
        );
      } finally {
        await copy.remove();
      }
    }
  });

  it("refuses a calibration that is malformed or out of range, naming the field", async () => {
    const copy = await copyPack(EMBEDDED, (m) => {
      m.calibration = {
        ...VALID_CALIBRATION,
        temperatures: { cnn: -1, clip: 1 },
        routing: { ...VALID_CALIBRATION.routing, share: 2 },
      };
    });
    try {
      const error = await loadPack(copy.dir).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain("calibration.temperatures.cnn: must be > 0");
      expect((error as Error).message).toContain("calibration.routing.share: must be ≤ 1");
    } finally {
      await copy.remove();
    }
  });

  it("reads a valid calibration", async () => {
    const copy = await copyPack(EMBEDDED, (m) => {
      m.calibration = VALID_CALIBRATION;
    });
    try {
      expect((await loadPack(copy.dir)).calibration).toEqual(VALID_CALIBRATION);
    } finally {
      await copy.remove();
    }
  });
});

const VALID_CALIBRATION = {
  version: 1,
  temperatures: { cnn: 1.2, clip: 0.9 },
  ensemble: { rule: "log-linear", cnnWeight: 0.6 },
  routing: { threshold: 0.71, share: 0.28, choice: "best-within-max-share" },
  fitted: { cnn: 0.824, clip: 0.79, auto: 0.87, force: 0.88 },
  curve: [
    { share: 0, accuracy: 0.824 },
    { share: 0.28, accuracy: 0.87 },
  ],
  data: { name: "samples", count: 250, sha256: "a".repeat(64) },
  fittedAt: "2025-06-01T12:00:00.000Z",
};
