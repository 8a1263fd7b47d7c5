import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { printSchemaSdl, schema } from "./index.ts";

/** Every type, field, argument and enum value the schema defines that has no description. */
function undocumented(): string[] {
  const missing: string[] = [];
  const check = (coordinate: string, description: string | null | undefined) => {
    if (!description?.trim()) missing.push(coordinate);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || isSpecifiedScalarType(type)) continue;
    check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) {
          check(`${type.name}.${field.name}(${arg.name}:)`, arg.description);
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    }
  }
  return missing;
}

describe("schema.graphql", () => {
  it("is current (regenerate with `npm run schema:print`)", () => {
    const committed = readFileSync(
      fileURLToPath(new URL("./schema.graphql", import.meta.url)),
      "utf8",
    );
    expect(committed).toBe(printSchemaSdl());
  });

  // GraphiQL's docs pane and the generated client types show these to frontend developers.
  it("describes every type, field, argument and enum value", () => {
    expect(undocumented()).toEqual([]);
  });

  it("keeps the contract's names", () => {
    // Signatures as SDL prints them without descriptions (which would split them over lines).
    const signatures = [schema.getQueryType(), schema.getMutationType()].flatMap((type) =>
      Object.values(type?.getFields() ?? {}).map((field) => {
        const args = field.args.map((arg) => `${arg.name}: ${arg.type}`).join(", ");
        return `${field.name}${args ? `(${args})` : ""}: ${field.type}`;
      }),
    );
    expect(signatures).toEqual(
      expect.arrayContaining([
        "classify(image: File, imageBase64: String, options: ClassifyOptions): Classification!",
        "classifyBatch(images: [File!]!, options: ClassifyOptions): [ClassifyResult!]!",
        "labels: [String!]!",
        "models: [ModelInfo!]!",
        "health: Health!",
      ]),
    );
    expect(printSchemaSdl()).toContain("union ClassifyResult = Classification | ClassifyError");
  });
});
