import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./server/testing/shared-data.ts";

const hasCompose = (() => {
  try {
    execFileSync("docker-compose", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!hasCompose)
  console.warn("skipping docker-compose validation: docker-compose is not installed");

describe("the deployment stack", () => {
  it.skipIf(!hasCompose)("docker-compose.yml is valid", () => {
    execFileSync("docker-compose", ["-f", join(REPO_ROOT, "docker-compose.yml"), "config", "-q"], {
      cwd: REPO_ROOT,
    });
  });

  it("mounts only paths that exist in the repository", () => {
    const compose = readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8");
    const mounts = [...compose.matchAll(/^\s+- (\.\/[^:\s]+):/gm)].map((m) => m[1] as string);
    expect(mounts.length).toBeGreaterThanOrEqual(5);
    for (const mount of mounts) expect(existsSync(join(REPO_ROOT, mount)), mount).toBe(true);
  });

  it("bakes the embedded pack into the image and checks readiness", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/COPY models\/fashion-mnist/);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/ready/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
