import { readFileSync } from "node:fs";
import { generate } from "@graphql-codegen/cli";
import { describe, expect, it } from "vitest";
import { codegenConfig } from "./codegen.ts";

describe("schema/generated/operations.ts", () => {
  it("is current (regenerate with `npm run codegen`)", async () => {
    // Generated in memory from the committed schema.graphql and schema/operations/*.graphql.
    const outputs = (await generate(codegenConfig, false)) as {
      filename: string;
      content: string;
    }[];
    expect(outputs.map((output) => output.filename)).toEqual(["schema/generated/operations.ts"]);
    for (const output of outputs) {
      const committed = readFileSync(new URL(`../${output.filename}`, import.meta.url), "utf8");
      expect(committed).toBe(output.content);
    }
  });
});
