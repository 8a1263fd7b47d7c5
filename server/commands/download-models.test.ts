import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { megabytes } from "../downloads/progress.ts";
import { loadPack } from "../packs/load-pack.ts";
import {
  FIXTURE_FILES,
  FIXTURE_PACK,
  hostedFixtureFiles,
  writeFixtureCatalog,
} from "../testing/download-fixture.ts";
import { type ModelHost, startModelHost } from "../testing/model-host.ts";
import { freePort } from "../testing/ports.ts";
import { REPO_ROOT } from "../testing/shared-data.ts";

const run = promisify(execFile);

/** `npm run models:download` as a user runs it, from the repository root, its output not a terminal. */
async function command(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(
      "npx",
      ["tsx", "server/commands/download-models.ts", ...args],
      { cwd: REPO_ROOT, timeout: 60_000, env: { ...process.env, ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Each run starts tsx in a child process: seconds each on a busy machine.
describe("npm run models:download", { timeout: 90_000 }, () => {
  let host: ModelHost;
  let tmp: string;
  let catalog: string;

  beforeAll(async () => {
    host = await startModelHost(hostedFixtureFiles());
    tmp = await mkdtemp(join(tmpdir(), "models-command-"));
    catalog = await writeFixtureCatalog(join(tmp, "catalog"), host.url);
  });
  afterAll(async () => {
    await host?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("downloads a pack, prints its folder on stdout and plain progress lines on stderr", async () => {
    const cacheDir = join(tmp, "cache-ok");
    const { code, stdout, stderr } = await command([FIXTURE_PACK, "--catalog", catalog], {
      CACHE_DIR: cacheDir,
    });
    expect(code, stderr).toBe(0);
    const dir = stdout.trim();
    expect(dir).toBe(join(cacheDir, "models/packs", FIXTURE_PACK));
    expect((await loadPack(dir)).name).toBe(FIXTURE_PACK);
    expect(stderr).not.toContain("\r");
    const visionBytes = statSync(
      join(REPO_ROOT, "models/fashion-mnist/clip/vision_model.onnx"),
    ).size;
    expect(stderr).toContain(`clip/vision_model.onnx: downloading ${megabytes(visionBytes)}\n`);
    expect(stderr).toContain(`start the service on it: MODEL_PACK=${dir} npm start`);
  });

  it("with MODELS_OFFLINE=1 and an empty cache, lists what is missing and makes no request", async () => {
    const before = host.requests.length;
    const { code, stderr } = await command([FIXTURE_PACK, "--catalog", catalog], {
      CACHE_DIR: join(tmp, "cache-empty"),
      MODELS_OFFLINE: "1",
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: offline, and ${FIXTURE_FILES.length} file(s) are not in the cache:`,
    );
    expect(stderr).toContain(
      `  cnn/model.onnx (not in the cache): ${host.url}/example-zoo/legacy_models/resolve/main/`,
    );
    expect(host.requests.length).toBe(before);
  });

  it("fails with one line naming the unreachable mirror", async () => {
    const port = await freePort();
    const { code, stderr } = await command(
      [FIXTURE_PACK, "--catalog", catalog, "--mirror", `http://127.0.0.1:${port}`],
      { CACHE_DIR: join(tmp, "cache-unreachable") },
    );
    expect(code).toBe(1);
    const errors = stderr.split("\n").filter((line) => line.startsWith("error: "));
    expect(errors).toEqual([
      `error: cnn/model.onnx: cannot reach 127.0.0.1:${port}: connection refused (ECONNREFUSED). Check the mirror (--mirror / MODELS_MIRROR_URL), or use only the cache with --offline (MODELS_OFFLINE=1).`,
    ]);
  });

  it("lists the checked-in catalog", async () => {
    const { code, stdout } = await command(["--list"], {});
    expect(code).toBe(0);
    expect(stdout).toContain("mobilenetv2-imagenet: 3 files (3 pinned, 0 trust-on-first-use;");
    expect(stdout).toContain(
      "mobilenetv2-clip-vit-b32: 10 files (9 pinned, 1 trust-on-first-use; 778.4 MB of known sizes; fp32 only 621.1 MB, int8 only 158.7 MB)",
    );
  });

  it("refuses a precision it cannot fetch alone, with its usage", async () => {
    const { code, stderr } = await command(["mobilenetv2-imagenet", "--precision", "fp16"], {});
    expect(code).toBe(2);
    expect(stderr).toContain('--precision must be fp32 or int8, got "fp16"');
    expect(stderr).toContain("[--precision int8|fp32]");
  });

  it("explains its usage when no pack is named", async () => {
    const { code, stderr } = await command([], {});
    expect(code).toBe(2);
    expect(stderr).toContain("usage: npm run models:download -- <pack>");
  });
});
