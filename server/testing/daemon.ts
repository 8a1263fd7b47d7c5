import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { stopProcess } from "./stop-process.ts";

/** A server a test runs for itself (Prometheus, Alertmanager, haproxy) from a temporary folder. */
export interface Daemon {
  readonly child: ChildProcess;
  /** The end of what it printed, for the error when it fails. */
  log(): string;
  /**
   * Polls `done` every `pollMs` until it holds; fails with the log when the daemon exits first
   * or `timeoutMs` runs out.
   */
  waitUntil(timeoutMs: number, done: () => Promise<boolean>, pollMs?: number): Promise<void>;
  /** Ends it and removes its folder; once, however often called. */
  stop(): Promise<void>;
}

/** Starts `command` with its output kept for errors; `dir` goes with it when it stops. */
export function spawnDaemon(name: string, command: string, args: string[], dir: string): Daemon {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let stopped = false;
  return {
    child,
    log: () => log,
    async waitUntil(timeoutMs, done, pollMs = 200) {
      const deadline = Date.now() + timeoutMs;
      while (!(await done())) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${log}`);
        }
        if (Date.now() > deadline) throw new Error(`${name} not ready in ${timeoutMs} ms:\n${log}`);
        await sleep(pollMs);
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
