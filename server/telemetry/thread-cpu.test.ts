import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { createThreadCpuReader } from "./thread-cpu.ts";

// A thread that reports its OS id, burns a fixed amount of work on a signal, and says when done.
const BURNER = `
const { parentPort } = require("node:worker_threads");
const { readlinkSync } = require("node:fs");
parentPort.postMessage(Number(readlinkSync("/proc/thread-self").split("/").pop()));
parentPort.on("message", () => {
  let x = 0;
  for (let i = 0; i < 1e8; i++) x = (x + i * 7) % 1000003;
  parentPort.postMessage(x);
});`;

describe.skipIf(process.platform !== "linux")("CPU time by thread group", () => {
  it("charges a named thread's work to its group, the event loop to main, and nothing twice", async () => {
    const worker = new Worker(BURNER, { eval: true });
    try {
      const threadId = await new Promise<number>((resolve) => worker.once("message", resolve));
      const read = createThreadCpuReader(() => ({ burner: [threadId] }));
      read();
      worker.postMessage("go");
      await new Promise((resolve) => worker.once("message", resolve));
      const busy = read();
      // 1e8 iterations take well over 0.05 s of one core on any CPU this runs on.
      expect(busy.burner).toBeGreaterThan(0.05);
      expect(Object.keys(busy)).toContain("main");
      const idle = read();
      // Only what ran between the two reads: the idle burner adds (almost) nothing.
      expect(idle.burner ?? 0).toBeLessThan(busy.burner as number);
      expect(idle.burner ?? 0).toBeLessThanOrEqual(0.02);
    } finally {
      await worker.terminate();
    }
  });

  it("puts threads nobody named into other", () => {
    const read = createThreadCpuReader(() => ({}));
    const groups = Object.keys(read());
    expect(groups).toContain("main");
    expect(groups.every((group) => ["main", "image_decode", "other"].includes(group))).toBe(true);
  });
});
