import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
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

  it("runs the JavaScript build on production dependencies, with no sources or tests", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
    const runtime = dockerfile.slice(dockerfile.indexOf(" AS runtime"));
    expect(dockerfile).not.toMatch(/tsx|npm install|--include=dev/);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtime).not.toMatch(/^COPY (server|schema|scripts)\b/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/server\/main\.js"\]$/m);
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

describe("the compose stack", () => {
  const compose = parse(readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8"), {
    merge: true,
  }) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
  const services = Object.entries(compose.services);
  // One-off jobs (`docker-compose --profile … run`) are not services that stay up.
  const longRunning = services.filter(([, service]) => !service.profiles);

  it.each(longRunning)("%s has a healthcheck (its own, or the image's it builds)", (_, service) => {
    if (service.build)
      expect(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8")).toMatch(/HEALTHCHECK/);
    else expect(service.healthcheck?.test.length).toBeGreaterThan(1);
  });

  it("starts each service once what it needs is healthy", () => {
    const dependencies = services.flatMap(([name, service]) =>
      Object.entries(service.depends_on ?? {}).map(([on, { condition }]) => ({
        name,
        on,
        condition,
      })),
    );
    expect(dependencies.length).toBeGreaterThanOrEqual(5);
    for (const { name, on, condition } of dependencies) {
      // Prometheus must watch an API that never gets ready too.
      const wanted = name === "prometheus" && on === "api" ? "service_started" : "service_healthy";
      expect(condition, `${name} → ${on}`).toBe(wanted);
    }
  });

  it("pins every image it pulls to a release", () => {
    const pulled = services.filter(([, service]) => !service.build);
    for (const [name, service] of pulled) expect(service.image, name).toMatch(/:v?\d+\.\d+\.\d+/);
  });

  it("keeps state in named volumes and Redis off the host", () => {
    const named = (name: string) =>
      (compose.services[name]?.volumes ?? []).filter((mount) => !mount.startsWith("."));
    for (const name of ["api", "prometheus", "grafana"]) expect(named(name), name).toHaveLength(1);
    for (const mount of ["api", "prometheus", "grafana"].flatMap(named))
      expect(Object.keys(compose.volumes)).toContain(mount.split(":")[0]);
    expect(compose.services.redis?.ports).toBeUndefined();
  });

  it("runs the k6 release the scripts are typed against (@types/k6's major.minor)", () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8"));
    const types = lock.packages["node_modules/@types/k6"].version as string;
    const majorMinor = types.split(".").slice(0, 2).join(".");
    for (const name of ["k6", "k6-metrics"])
      expect(compose.services[name]?.image).toMatch(
        new RegExp(`^grafana/k6:${majorMinor}\\.\\d+$`),
      );
  });
});
