import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { multipartRequest } from "../../server/testing/multipart.ts";
import {
  launchedVia,
  type ServiceProcess,
  startServiceProcess,
} from "../../server/testing/service-process.ts";
import { EMBEDDED_SAMPLES, parseTsv } from "../../server/testing/shared-data.ts";
import { CLASSIFY, type ClassificationResult } from "../../server/testing/test-app.ts";

/**
 * The Deployment runs the service on a read-only root filesystem with two writable volumes,
 * CACHE_DIR and /tmp. Here the same: a private mount namespace where / is remounted read-only
 * and a fresh tmpfs, the service's TMPDIR, holds CACHE_DIR. The tmpfs goes on a folder of its
 * own rather than over /tmp, which may hold this very checkout (a CI clone in a temp folder).
 * Needs the privilege to make a mount namespace (root, or CAP_SYS_ADMIN); skipped with a
 * message without it.
 */

const WRITABLE = mkdtempSync(join(tmpdir(), "read-only-root-"));
const CACHE_DIR = join(WRITABLE, "cache");
// Fails the start unless / is really read-only, then execs the node command line it is given.
const READ_ONLY_ROOT = [
  "unshare",
  "--mount",
  "--propagation",
  "private",
  "sh",
  "-c",
  `mount --bind / / && mount -o remount,bind,ro / && mount -t tmpfs -o size=256m tmpfs ${WRITABLE} && mkdir ${CACHE_DIR} && ! touch /.read-only-probe 2>/dev/null && exec "$@"`,
  "read-only-root",
];

const canUnshare =
  spawnSync("unshare", ["--mount", "--propagation", "private", "true"]).status === 0;
if (!canUnshare) {
  rmSync(WRITABLE, { recursive: true, force: true });
  console.warn(
    "skipping the read-only root test: this user cannot create a mount namespace (unshare --mount)",
  );
}

describe.skipIf(!canUnshare)("the service on a read-only root filesystem", () => {
  let service: ServiceProcess;

  beforeAll(async () => {
    // The default pack, as the base manifests serve it.
    service = await startServiceProcess(
      { MODEL_PACK: "imagenet", CACHE_DIR, TMPDIR: WRITABLE },
      120_000,
      launchedVia(READ_ONLY_ROOT),
    );
  }, 150_000);

  afterAll(async () => {
    await service?.stop();
    rmSync(WRITABLE, { recursive: true, force: true });
  });

  it("turns ready and classifies with CLIP, writing only to its volumes", async () => {
    const [first] = parseTsv(readFileSync(join(EMBEDDED_SAMPLES, "labels.tsv"), "utf8"));
    const bytes = readFileSync(join(EMBEDDED_SAMPLES, first?.file as string));
    const response = await fetch(
      multipartRequest(
        CLASSIFY,
        { image: null, options: { vlm: "FORCE" } },
        [{ path: "variables.image", bytes }],
        `${service.url}/graphql`,
      ),
    );
    const body = (await response.json()) as { data?: { classify: ClassificationResult } };
    expect(body.data?.classify, service.output()).toMatchObject({ vlmUsed: true, fallback: null });
    expect(service.output()).not.toMatch(/EROFS|read-only file system/i);
  });

  it("drains and exits on SIGTERM", async () => {
    await service.stop();
    expect(service.output()).toContain("drained; bye");
  });
});
