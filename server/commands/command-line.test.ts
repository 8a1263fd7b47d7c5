import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../testing/shared-data.ts";

const run = promisify(execFile);

/** Every command-line entry point a user runs (package.json scripts). */
const ENTRY_POINTS = [
  "server/commands/calibrate.ts",
  "server/commands/calibrate-fashion-mnist.ts",
  "server/commands/choose-variant.ts",
  "server/commands/create-api-key.ts",
  "server/commands/download-models.ts",
  "server/commands/evaluate.ts",
  "server/commands/evaluate-fashion-mnist.ts",
  "schema/print-schema.ts",
  "server/bench/run.ts",
  "server/bench/cpu-budget.ts",
  "server/bench/capacity.ts",
  "server/bench/peer/main.ts",
  "server/bench/lone-request.ts",
  "server/bench/clip-bound.ts",
  "loadtest/run.ts",
];

/** Runs an entry point as `npm run` does (node with tsx), its output not a terminal. */
async function command(file: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", file, ...args], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

describe("every command's command line", { timeout: 240_000 }, () => {
  it.each(ENTRY_POINTS)("%s: --help prints its usage and exits 0", async (file) => {
    const { code, stdout, stderr } = await command(file, ["--help"]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^usage: npm run [\w:]+/);
    expect(stderr).toBe("");
  });

  it.each(ENTRY_POINTS)(
    "%s: an unknown flag is one line with the usage, exit code 2",
    async (file) => {
      const { code, stdout, stderr } = await command(file, ["--no-such-flag"]);
      expect(code).toBe(2);
      expect(lines(stderr)).toEqual([
        expect.stringMatching(/^Unknown option '--no-such-flag' \(usage: npm run .+\)$/),
      ]);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stdout).toBe("");
    },
  );

  it("reports a bad value the same way: one line, exit code 2", async () => {
    const { code, stderr } = await command("server/commands/evaluate.ts", [
      "--images",
      "photos",
      "--limit",
      "many",
    ]);
    expect(code).toBe(2);
    expect(lines(stderr)).toEqual([
      '--limit must be a positive integer, got "many" (usage: npm run evaluate -- --images DIR [--labels FILE] [--pack NAME_OR_PATH] [--limit N] [--json OUT.json])',
    ]);
  });
});
