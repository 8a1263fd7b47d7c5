import { parseArgs } from "node:util";
import { peerComparison } from "./peer-comparison.ts";

/**
 * `npm run bench:peer`: only the Transformers.js comparison of the benchmark suite
 * (`npm run bench` runs it too, after the rest).
 */
const { values } = parseArgs({
  options: {
    pack: { type: "string", default: ".cache/packs/clip-vit-b32-bench" },
    out: { type: "string", default: ".cache/bench" },
    photos: { type: "string" },
  },
});
const result = await peerComparison({
  pack: values.pack,
  outDir: values.out,
  photos: values.photos ?? null,
  log: (line) => process.stderr.write(`${line}\n`),
});
if (result) console.log(`${result.table}\n\n${JSON.stringify(result.summary, null, 2)}`);
process.exit(0);
