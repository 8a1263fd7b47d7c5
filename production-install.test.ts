import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeOperation } from "./schema/client/graphql-request.ts";
import { ClassifyDocument } from "./schema/generated/operations.ts";
import { type ServiceProcess, startServiceProcess } from "./server/testing/service-process.ts";
import { EMBEDDED_SAMPLES, REPO_ROOT } from "./server/testing/shared-data.ts";

/** The checkout's files as a clone has them: tracked, plus new ones not ignored yet. */
function copyCheckout(to: string): void {
  const files = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
    },
  );
  for (const file of files.split("\0")) {
    if (!file || !existsSync(join(REPO_ROOT, file))) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(to, file));
  }
}

const DEV_TOOLS = ["tsx", "typescript", "vitest", "@biomejs/biome", "playwright-core"];

// The README's promise for a server: `npm ci --omit=dev && npm start`, with nothing but the
// production dependencies, from a copy of the checkout (npm's cache serves the packages).
describe("a production install (npm ci --omit=dev, then npm start)", { timeout: 60_000 }, () => {
  let copy: string;
  let service: ServiceProcess;
  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), "production-install-"));
    copyCheckout(copy);
    execFileSync("npm", ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: copy,
      stdio: "ignore",
    });
    service = await startServiceProcess({ MODEL_PACK: "fashion-mnist" }, 120_000, {
      command: "npm",
      args: ["start", "--silent"],
      cwd: copy,
    });
  }, 600_000);
  afterAll(async () => {
    await service?.stop();
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it("holds no development tool", () => {
    const installed = DEV_TOOLS.filter((name) => existsSync(join(copy, "node_modules", name)));
    expect(installed).toEqual([]);
  });

  it("runs the JavaScript build, which holds no test code", () => {
    const built = readdirSync(join(copy, "dist"), { recursive: true, encoding: "utf8" });
    expect(built).toContain(join("server", "main.js"));
    expect(built.filter((file) => /\.test\.|testing|\.ts$/.test(file))).toEqual([]);
  });

  it("classifies an image", async () => {
    const file = "t10k-00000_ankle_boot.png";
    const image = new File([readFileSync(join(EMBEDDED_SAMPLES, file))], file, {
      type: "image/png",
    });
    const { data, errors } = await executeOperation(`${service.url}/graphql`, ClassifyDocument, {
      image,
    });
    expect(errors).toBeUndefined();
    expect(data?.classify.top.label).toBe("ankle boot");
  });

  it("serves the demo page's script as built ahead, not bundled on request", async () => {
    const response = await fetch(`${service.url}/demo/page.js`);
    expect(response.status).toBe(200);
    const built = readFileSync(join(copy, "dist/server/demo/browser/page.js"), "utf8");
    expect(await response.text()).toBe(built);
  });
});
