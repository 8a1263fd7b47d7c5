import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./prometheus.ts";
import { REPO_ROOT } from "./shared-data.ts";
import { TEST_PACK } from "./test-app.ts";

export interface ServiceProcess {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly pid: number | undefined;
  /** What the process printed so far (for failure messages). */
  output(): string;
  /** SIGTERM by pid (the service drains), SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/**
 * The real service as a separate process (`node --import tsx server/main.ts`), as a replica
 * runs in production, on a free loopback port. Resolves once /ready answers 200.
 */
export async function startServiceProcess(
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
): Promise<ServiceProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, MODEL_PACK: TEST_PACK, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;

  async function stop() {
    if (child.pid === undefined || !running()) return;
    process.kill(child.pid, "SIGTERM");
    if ((await Promise.race([exited.then(() => "exited"), sleep(5000)])) !== "exited") {
      if (running()) process.kill(child.pid, "SIGKILL");
      await exited;
    }
  }

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const ready = await fetch(`${url}/ready`).catch(() => null);
    if (ready?.status === 200) break;
    if (!running() || Date.now() > deadline) {
      await stop();
      throw new Error(`service on ${port} did not become ready:\n${output}`);
    }
    await sleep(100);
  }
  return { url, pid: child.pid, output: () => output, stop };
}
