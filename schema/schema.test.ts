import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { printSchemaSdl } from "./index.ts";

describe("schema.graphql", () => {
  it("is current (regenerate with `npm run schema:print`)", () => {
    const committed = readFileSync(
      fileURLToPath(new URL("./schema.graphql", import.meta.url)),
      "utf8",
    );
    expect(committed).toBe(printSchemaSdl());
  });

  it("keeps the contract's names", () => {
    const sdl = printSchemaSdl();
    for (const name of [
      "classify(image: File!, options: ClassifyOptions): Classification!",
      "classifyBatch(images: [File!]!, options: ClassifyOptions): [ClassifyResult!]!",
      "labels: [String!]!",
      "models: [ModelInfo!]!",
      "health: Health!",
      "union ClassifyResult = Classification | ClassifyError",
    ]) {
      expect(sdl).toContain(name);
    }
  });
});
