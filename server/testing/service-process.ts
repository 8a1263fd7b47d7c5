import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./ports.ts";
import { REPO_ROOT } from "./shared-data.ts";
import { stopProcess } from "./stop-process.ts";

export interface ServiceProcess {
  /** Base URL, e.g. http://127.0.0.1:40123 (the GraphQL endpoint is /graphql). */
  readonly url: string;
  readonly pid: number | undefined;
  /** The last of what the process printed, stdout and stderr (for failure messages). */
  output(): string;
  /** SIGTERM by pid (the service drains), SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** How the service is started: a command, its arguments and its working directory. */
export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
}

/** `npm start` without npm or a build: node with tsx's loader, so the pid is the service's own. */
const FROM_SOURCE: Launch = {
  command: process.execPath,
  args: ["--import", "tsx", "server/main.ts"],
  cwd: REPO_ROOT,
};

/**
 * The service from source behind `launcher`, a command that ends by exec'ing its arguments
 * (e.g. to run it in a namespace of its own), so the pid stays the service's.
 */
export function launchedVia(launcher: readonly string[]): Launch {
  const [command, ...args] = launcher;
  if (!command) return FROM_SOURCE;
  return { command, args: [...args, FROM_SOURCE.command, ...FROM_SOURCE.args], cwd: REPO_ROOT };
}

/**
 * The real service as a process of its own (by default from this checkout's source), as a
 * replica runs in production, on a loopback port. `env` is added to this process's
 * environment; its PORT, if any, is kept (a load balancer's backend address), else a free port
 * is picked. Resolves once /ready answers 200.
 */
export async function startServiceProcess(
  env: Record<string, string>,
  readyTimeoutMs = 120_000,
  launch: Launch = FROM_SOURCE,
): Promise<ServiceProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const service: ServiceProcess = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    output: () => output,
    stop: (graceMs = 15_000) => stopProcess(child, graceMs),
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const ready = await fetch(`${service.url}/ready`).catch(() => null);
    if (ready?.status === 200) return service;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await service.stop();
      throw new Error(`the service on port ${port} did not become ready:\n${output}`);
    }
    await sleep(100);
  }
}
