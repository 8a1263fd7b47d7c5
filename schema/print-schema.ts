import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseCommandLine } from "../server/commands/command-line.ts";
import { printSchemaSdl } from "./index.ts";

/** Regenerates schema/schema.graphql (`npm run schema:print`). */
parseCommandLine({
  usage: "npm run schema:print",
  help: "Writes the schema's SDL to schema/schema.graphql (a test fails when it is stale).",
  options: {},
});
const target = fileURLToPath(new URL("./schema.graphql", import.meta.url));
writeFileSync(target, printSchemaSdl());
console.log(`wrote ${target}`);
