import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matMulModel } from "../bench/onnx-matmul-model.ts";
import { sha256Hex } from "../hashing/sha256.ts";
import { openOnnxModel, type TensorData } from "./onnx-session.ts";

const SIZE = 768;

/** A and B filled with constants, so every element of A·B is known: k · a · b. */
function feeds(a: number, b: number): Record<string, TensorData> {
  const square = (value: number) => new Float32Array(SIZE * SIZE).fill(value);
  return {
    A: { type: "float32", data: square(a), dims: [SIZE, SIZE] },
    B: { type: "float32", data: square(b), dims: [SIZE, SIZE] },
  };
}

describe("an ONNX model on its own thread", () => {
  let dir: string;
  let modelPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "onnx-session-"));
    modelPath = join(dir, "matmul.onnx");
    await writeFile(modelPath, matMulModel("fp32", SIZE, SIZE, SIZE));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("computes the right answer and reports the model's tensor names and file hash", async () => {
    const model = await openOnnxModel(
      modelPath,
      { inputs: ["A", "B"], outputs: ["Y"] },
      {
        intraOpThreads: 1,
      },
    );
    try {
      expect(model.inputNames).toEqual(["A", "B"]);
      const bytes = await readFile(modelPath);
      expect(model.sha256).toBe(sha256Hex(bytes));
      const { Y } = await model.run(feeds(0.5, 0.25), ["Y"]);
      expect(Y?.dims).toEqual([SIZE, SIZE]);
      expect(Y?.data.every((value) => value === SIZE * 0.5 * 0.25)).toBe(true);
    } finally {
      await model.release();
    }
  });

  it("keeps the event loop turning while the model computes", async () => {
    // onnxruntime-node's own run() would hold the loop for the whole product (~2 × 768³ flops):
    // no turn of the loop could happen before it returns.
    const model = await openOnnxModel(
      modelPath,
      { inputs: ["A", "B"], outputs: ["Y"] },
      {
        intraOpThreads: 1,
      },
    );
    try {
      let turns = 0;
      let computing = true;
      const spin = () => {
        turns++;
        if (computing) setImmediate(spin);
      };
      setImmediate(spin);
      const runs = Array.from({ length: 4 }, () => model.run(feeds(1, 1), ["Y"]));
      await Promise.all(runs);
      computing = false;
      expect(turns).toBeGreaterThan(20);
    } finally {
      await model.release();
    }
  });

  it("answers what was asked before a release, then starts a new thread on the next call", async () => {
    const model = await openOnnxModel(
      modelPath,
      { inputs: ["A", "B"], outputs: ["Y"] },
      {
        intraOpThreads: 1,
      },
    );
    const asked = model.run(feeds(1, 1), ["Y"]);
    await model.release();
    expect((await asked).Y?.data[0]).toBe(SIZE);
    const { Y } = await model.run(feeds(2, 3), ["Y"]);
    expect(Y?.data[0]).toBe(SIZE * 6);
    await model.release();
  });

  it.skipIf(process.platform !== "linux")(
    "renices the model's thread and its onnxruntime pool, no other, and reports them",
    async () => {
      expect(await threadsAtNiceness(7)).toBe(0);
      const model = await openOnnxModel(
        modelPath,
        { inputs: ["A", "B"], outputs: ["Y"] },
        { intraOpThreads: 2 },
      );
      try {
        const reported = model.threadIds();
        // The worker's own thread and the intra-op pool's second thread, at least.
        expect(reported.length).toBeGreaterThanOrEqual(2);
        for (const id of reported) expect(await nicenessOf(id)).toBe(0);
        model.setNiceness(7);
        // Messages are handled in order: once this run answers, the niceness is set.
        await model.run(feeds(1, 1), ["Y"]);
        for (const id of reported) expect(await nicenessOf(id)).toBe(7);
        expect(await threadsAtNiceness(7)).toBe(reported.length);
        expect(await nicenessOf(process.pid)).toBe(0);
      } finally {
        await model.release();
      }
    },
  );

  it("fails loudly at open: unreadable file, missing tensor", async () => {
    const corrupt = join(dir, "corrupt.onnx");
    await writeFile(corrupt, "not a model");
    await expect(
      openOnnxModel(corrupt, { inputs: ["A"], outputs: ["Y"] }, { intraOpThreads: 1 }),
    ).rejects.toThrow(/cannot load model .*corrupt\.onnx/);
    await expect(
      openOnnxModel(modelPath, { inputs: ["pixel_values"], outputs: ["Y"] }, { intraOpThreads: 1 }),
    ).rejects.toThrow(/has no input "pixel_values" \(it has A, B\)/);
  });
});

/** A thread's niceness: field 19 of /proc/PID/task/TID/stat, counted after the name in (). */
async function nicenessOf(threadId: number): Promise<number> {
  const stat = await readFile(`/proc/${process.pid}/task/${threadId}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

async function threadsAtNiceness(niceness: number): Promise<number> {
  const threads = await readdir(`/proc/${process.pid}/task`);
  const values = await Promise.all(threads.map((id) => nicenessOf(Number(id)).catch(() => null)));
  return values.filter((value) => value === niceness).length;
}
