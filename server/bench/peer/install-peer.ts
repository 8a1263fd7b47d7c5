import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

/** The peer, pinned: Transformers.js v3 (it brings its own onnxruntime-node, 1.21.0). */
export const PEER_PACKAGE = "@huggingface/transformers";
export const PEER_VERSION = "3.8.1";

export type PeerInstall =
  | { ok: true; version: string; entry: string }
  | { ok: false; reason: string };

/**
 * Installs the peer into its own folder (git-ignored, outside the service's dependencies) unless
 * the pinned version is already there, and returns its ESM entry file. Install scripts are
 * skipped: sharp's binaries come as an optional package and onnxruntime-node ships its CPU
 * binaries in the package, so nothing else is downloaded (no CUDA provider).
 */
export async function installPeer(
  dir: string,
  log: (line: string) => void = () => {},
): Promise<PeerInstall> {
  const root = join(resolve(dir), "node_modules", PEER_PACKAGE);
  const installed = async () => {
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
    const entry = manifest.exports?.node?.import?.default;
    if (manifest.version !== PEER_VERSION || typeof entry !== "string") return null;
    return join(root, entry);
  };
  if (existsSync(join(root, "package.json"))) {
    const entry = await installed();
    if (entry) return { ok: true, version: PEER_VERSION, entry };
  }
  log(`installing ${PEER_PACKAGE}@${PEER_VERSION} into ${dir}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "package.json"),
      `${JSON.stringify({ private: true, dependencies: { [PEER_PACKAGE]: PEER_VERSION } }, null, 2)}\n`,
    );
    await promisify(execFile)(
      "npm",
      ["install", "--prefix", dir, "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev"],
      {
        env: {
          ...process.env,
          ONNXRUNTIME_NODE_INSTALL: "skip",
          ONNXRUNTIME_NODE_INSTALL_CUDA: "skip",
        },
        maxBuffer: 16 << 20,
      },
    );
    const entry = await installed();
    if (!entry) return { ok: false, reason: `${PEER_PACKAGE}@${PEER_VERSION} is not in ${dir}` };
    return { ok: true, version: PEER_VERSION, entry };
  } catch (error) {
    const detail = error instanceof Error ? error.message.split("\n").slice(0, 3).join(" ") : "";
    return {
      ok: false,
      reason: `npm install of ${PEER_PACKAGE}@${PEER_VERSION} failed: ${detail}`,
    };
  }
}
