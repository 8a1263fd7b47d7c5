import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./ports.ts";

/** Whether `redis-server` is on the PATH (Debian package `redis-server`). */
export const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;

/** Call at module level of a suite that needs redis-server: prints why it is skipped. */
export function warnIfNoRedisServer(suite: string): void {
  if (!hasRedisServer)
    console.warn(
      `skipping ${suite}: redis-server is not installed (scripts/install-system-tools.sh installs it)`,
    );
}

export interface RunningRedis {
  readonly port: number;
  /** redis://127.0.0.1:port */
  readonly url: string;
  /** Pid of the running server, undefined while stopped. */
  readonly pid: number | undefined;
  /** Kills the server by pid (SIGKILL: no shutdown, like a crash) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts the server again on the same port. */
  restart(): Promise<void>;
  /** Sends one command with a one-line reply (inline protocol) and resolves with it, e.g. "+PONG\r\n". */
  command(...args: string[]): Promise<string>;
}

/**
 * A real redis-server on a free loopback port, with no persistence (`--save '' --appendonly
 * no`), for tests. Stop it with `kill()` in afterAll, even when the test failed.
 */
export async function startRedisServer(): Promise<RunningRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;

  async function start() {
    let log = "";
    const started = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child = started;
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    };
    started.stdout?.on("data", keep);
    started.stderr?.on("data", keep);
    const deadline = Date.now() + 10_000;
    while (!(await command("PING").catch(() => "")).startsWith("+PONG")) {
      if (started.exitCode !== null || started.signalCode !== null)
        throw new Error(`redis-server exited (${started.exitCode ?? started.signalCode}):\n${log}`);
      if (Date.now() > deadline) {
        await kill();
        throw new Error(`redis-server not answering on ${port} in 10 s:\n${log}`);
      }
      await sleep(50);
    }
  }

  async function kill() {
    const running = child;
    child = null;
    if (!running?.pid || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    process.kill(running.pid, "SIGKILL");
    await exited;
  }

  function command(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      let reply = "";
      socket.setTimeout(2000, () => socket.destroy(new Error("redis command timed out")));
      socket.on("connect", () => socket.write(`${args.map(quote).join(" ")}\r\n`));
      socket.on("data", (chunk) => {
        reply += chunk.toString("latin1");
        if (reply.endsWith("\r\n")) socket.end();
      });
      socket.on("close", () => resolve(reply));
      socket.on("error", reject);
    });
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    kill,
    restart: start,
    command,
  };
}

/** One argument of the inline protocol, quoted so spaces and quotes survive. */
function quote(arg: string): string {
  return `"${arg.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
