import { parseCommandLine } from "../../commands/command-line.ts";
import { peerComparison } from "./peer-comparison.ts";

/**
 * `npm run bench:peer`: only the Transformers.js comparison of the benchmark suite
 * (`npm run bench` runs it too, after the rest).
 */
const { values } = parseCommandLine({
  usage: "npm run bench:peer -- [--pack DIR] [--out DIR] [--photos DIR]",
  help: "Only the Transformers.js comparison of the benchmark suite (npm run bench runs it too).",
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
