import type { ChildProcess } from "node:child_process";

/**
 * Stops a process a test started, by its pid: SIGTERM (a service drains and exits), then
 * SIGKILL if it has not exited within `graceMs`. Resolves once it has exited; at once if it
 * already had.
 */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  const { pid } = child;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<"exited">((resolve) => child.once("exit", () => resolve("exited")));
  process.kill(pid, "SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), graceMs);
  });
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === "late") {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
    await exited;
  }
}
