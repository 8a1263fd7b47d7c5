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
});
