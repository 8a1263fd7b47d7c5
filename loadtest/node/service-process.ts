import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ServiceProcess {
  /** Base URL, e.g. http://127.0.0.1:40123 (the GraphQL endpoint is /graphql). */
  url: string;
  pid: number;
  /** Every line the service logged, stdout and stderr. */
  log: string[];
  /** SIGTERM (the service drains), SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts the service as its own process (`npm start` without npm: node with tsx's loader, so
 * the pid is the service's own), on a free loopback port, and waits until /ready answers 200.
 */
export async function startService(
  env: Record<string, string> = {},
  readyTimeoutMs = 120_000,
): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream
      ?.setEncoding("utf8")
      .on("data", (chunk: string) => log.push(...chunk.trimEnd().split("\n")));
  }
  const service: ServiceProcess = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    log,
    stop: (graceMs = 15_000) => stop(child, graceMs),
  };
  try {
    await waitUntilReady(service.url, child, readyTimeoutMs);
  } catch (error) {
    await service.stop();
    throw new Error(`${(error as Error).message}\n${log.slice(-20).join("\n")}`);
  }
  return service;
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}`);
    const status = await fetch(`${url}/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(250);
  }
  throw new Error(`the service was not ready after ${timeoutMs} ms`);
}

async function stop(child: ChildProcess, graceMs: number) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}
