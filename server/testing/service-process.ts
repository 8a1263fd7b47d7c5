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

/**
 * The real service as a process of its own (`npm start` without npm: node with tsx's loader,
 * so the pid is the service's own), as a replica runs in production, on a free loopback port.
 * `env` is added to this process's environment; its PORT, if any, is kept (a load balancer's
 * backend address), else a free port is picked. `launcher` is a command that ends by exec'ing
 * its arguments (the node command line), e.g. to run the service in a namespace of its own;
 * the pid stays the service's. Resolves once /ready answers 200.
 */
export async function startServiceProcess(
  env: Record<string, string>,
  readyTimeoutMs = 120_000,
  launcher: readonly string[] = [],
): Promise<ServiceProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const [command, ...args] = [...launcher, process.execPath, "--import", "tsx", "server/main.ts"];
  const child = spawn(command as string, args, {
    cwd: REPO_ROOT,
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
