import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnDaemon } from "./daemon.ts";
import { freePort } from "./ports.ts";

/** Whether `haproxy` is on the PATH (Debian package `haproxy`). */
export const hasHaproxy = spawnSync("haproxy", ["-v"]).status === 0;

/** One backend server as haproxy's `show stat` reports it. */
export interface BackendServer {
  /** UP, DOWN, DRAIN, MAINT, or a transition such as "UP 1/2". */
  status: string;
  /** Requests (sessions) it has been sent since haproxy started. */
  sessions: number;
}

export interface RunningHaproxy {
  /** Base URL of the frontend, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Every backend server by name. */
  servers(): Promise<Record<string, BackendServer>>;
  /** What an orchestrator does to an endpoint: "drain" (no new requests) or "ready". */
  setState(server: string, state: "ready" | "drain" | "maint"): Promise<void>;
  /** Resolves once `server` has `status` (UP: its health checks passed), or throws after `timeoutMs`. */
  waitForStatus(server: string, status: "UP" | "DOWN", timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * haproxy in front of replicas on loopback, as a cluster's load balancer: round robin, each
 * server health-checked with GET `checkPath` as deploy/kubernetes's readiness probe is (every
 * 5 s, out after two failures or 3 s timeouts; a server that is down is checked every 500 ms
 * and back after one 200), one request per server connection, and a refused connection retried on another
 * server. `servers` maps names to ports; nothing needs to listen there yet.
 */
export async function startHaproxy(options: {
  servers: Record<string, number>;
  checkPath: string;
}): Promise<RunningHaproxy> {
  const dir = await mkdtemp(join(tmpdir(), "haproxy-"));
  const port = await freePort();
  const socket = join(dir, "admin.sock");
  const config = join(dir, "haproxy.cfg");
  await writeFile(
    config,
    [
      "global",
      `  stats socket ${socket} level admin`,
      "defaults",
      "  mode http",
      "  timeout connect 1s",
      "  timeout client 30s",
      "  timeout server 30s",
      "  timeout check 3s",
      "  retries 3",
      "  option redispatch 1",
      "  option http-server-close",
      "  default-server inter 5s downinter 500ms fall 2 rise 1",
      "listen api",
      `  bind 127.0.0.1:${port}`,
      "  balance roundrobin",
      `  option httpchk GET ${options.checkPath}`,
      "  http-check expect status 200",
      ...Object.entries(options.servers).map(
        ([name, serverPort]) => `  server ${name} 127.0.0.1:${serverPort} check`,
      ),
      "",
    ].join("\n"),
  );
  const daemon = spawnDaemon("haproxy", "haproxy", ["-db", "-f", config], dir);

  function command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const client = connect(socket);
      let reply = "";
      client.setTimeout(2000, () => client.destroy(new Error(`haproxy: ${line} timed out`)));
      client.on("connect", () => client.end(`${line}\n`));
      client.on("data", (chunk) => {
        reply += chunk.toString();
      });
      client.on("close", () => resolve(reply));
      client.on("error", reject);
    });
  }

  async function servers(): Promise<Record<string, BackendServer>> {
    const [header, ...rows] = (await command("show stat")).trim().split("\n");
    const columns = (header ?? "").replace(/^# /, "").split(",");
    const column = (name: string) => columns.indexOf(name);
    const found: Record<string, BackendServer> = {};
    for (const row of rows.map((line) => line.split(","))) {
      const name = row[column("svname")] ?? "";
      if (name === "FRONTEND" || name === "BACKEND") continue;
      found[name] = {
        status: row[column("status")] ?? "",
        sessions: Number(row[column("stot")]),
      };
    }
    return found;
  }

  async function waitForStatus(server: string, status: "UP" | "DOWN", timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while ((await servers())[server]?.status !== status) {
      if (Date.now() > deadline)
        throw new Error(`haproxy: ${server} not ${status} in ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  try {
    await daemon.waitUntil(
      10_000,
      async () => Boolean(await command("show info").catch(() => null)),
      50,
    );
  } catch (error) {
    await daemon.stop();
    throw error;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    servers,
    setState: async (server, state) => {
      const reply = await command(`set server api/${server} state ${state}`);
      if (reply.trim() !== "") throw new Error(`haproxy: ${reply.trim()}`);
    },
    waitForStatus,
    stop: daemon.stop,
  };
}
