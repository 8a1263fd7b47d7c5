import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printSchemaSdl } from "./index.ts";

/** Regenerates schema/schema.graphql (`npm run schema:print`). */
const target = fileURLToPath(new URL("./schema.graphql", import.meta.url));
writeFileSync(target, printSchemaSdl());
console.log(`wrote ${target}`);
