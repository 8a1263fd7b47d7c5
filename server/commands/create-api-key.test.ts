import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { hashSecret } from "../auth/api-keys.ts";
import { loadConfig } from "../config/config.ts";
import { REPO_ROOT } from "../testing/shared-data.ts";
import { createFakeTestApp } from "../testing/test-app.ts";

const run = promisify(execFile);

/** `npm run keys:create` as an operator runs it, in a child process from the repository root. */
function createKey(...args: string[]) {
  return run(process.execPath, ["--import", "tsx", "server/commands/create-api-key.ts", ...args], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
}

describe("keys:create", () => {
  it("prints the key once and an entry holding only its hash, which the service accepts", async () => {
    const { stdout } = await createKey("--name", "ci-bot", "--scopes", "classify,feedback");
    const secret = /^ {2}(vck_\S+)$/m.exec(stdout)?.[1] ?? "";
    const entry = /^ {2}(ci-bot:\S+)$/m.exec(stdout)?.[1] ?? "";
    expect(secret).toMatch(/^vck_[A-Za-z0-9_-]{43}$/);
    expect(entry).toBe(`ci-bot:${hashSecret(secret)}:classify+feedback`);
    expect(stdout.split(secret)).toHaveLength(2);

    expect(loadConfig({ API_KEYS: entry }).auth.keys[0]).toMatchObject({
      name: "ci-bot",
      scopes: ["classify", "feedback"],
    });
    const service = createFakeTestApp({ API_KEYS: entry });
    const ok = await service.query("{ labels }", {}, { authorization: `Bearer ${secret}` });
    expect(ok.status).toBe(200);
    expect(ok.errors).toBeUndefined();
  });

  it("writes a rate into the entry", async () => {
    const { stdout } = await createKey("--name", "web", "--scopes", "classify", "--rate", "5/10");
    expect(stdout).toMatch(/^ {2}web:[0-9a-f]{64}:classify:5\/10$/m);
  });

  it.each([
    [["--scopes", "classify"], "--name is required"],
    [["--name", "web"], "--scopes is required"],
    [["--name", "web", "--scopes", "classify,admin"], "unknown scopes: admin"],
    [["--name", "a b", "--scopes", "classify"], "--name must be"],
    [["--name", "web", "--scopes", "classify", "--rate", "fast"], "--rate fast is not"],
  ])("refuses %j, saying why, and prints no key", async (args, message) => {
    const failure = await createKey(...args).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain(message);
    expect(failure?.stderr).toContain("usage: npm run keys:create");
    expect(failure?.stdout).not.toContain("vck_");
  });
});
