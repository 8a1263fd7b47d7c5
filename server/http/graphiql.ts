import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { Kind, parse, visit } from "graphql";
import { EMBEDDED_PACKS_DIR } from "../packs/load-pack.ts";

const OPERATIONS_DIR = new URL("../../schema/operations/", import.meta.url);

/** The public operations, in the order a newcomer needs them; About and ClassifyBase64 run as they are. */
const TAB_FILES = [
  "about",
  "classify-base64",
  "classify",
  "classify-batch",
  "submit-feedback",
] as const;
const FRAGMENT_FILES = ["classification"] as const;

/**
 * The ClassifyBase64 tab's image: a real 28×28 Fashion-MNIST test image (an ankle boot) shipped
 * with that pack, small enough to sit in the variables as a data URL.
 */
const SAMPLE_IMAGE = join(EMBEDDED_PACKS_DIR, "fashion-mnist/samples/t10k-00000_ankle_boot.png");
export const sampleImageDataUrl = () =>
  `data:image/png;base64,${readFileSync(SAMPLE_IMAGE).toString("base64")}`;

// GraphiQL cannot attach files, so the upload tabs say how to send them.
const UPLOAD_NOTE = `# GraphiQL cannot attach files: run ClassifyBase64 (the image as a data URL in the
# variables), use the demo page (/), or send a multipart request:
#   curl http://127.0.0.1:4000/graphql -H 'graphql-preflight: 1' \\
#     -F operations='{"query":"mutation ($image: File!) { classify(image: $image) { top { label score } } }","variables":{"image":null}}' \\
#     -F map='{"0":["variables.image"]}' -F 0=@image.jpg
`;

const readOperation = (name: string) =>
  readFileSync(new URL(`${name}.graphql`, OPERATIONS_DIR), "utf8");

/** Names of the fragments a document spreads. */
function spreadFragments(source: string): Set<string> {
  const names = new Set<string>();
  visit(parse(source), {
    FragmentSpread(node) {
      names.add(node.name.value);
    },
  });
  return names;
}

/**
 * One GraphiQL tab per operation document in schema/operations/, with the fragments it uses
 * appended and example variables, so the docs GraphiQL shows are the ones clients run.
 */
function exampleTabs(labels: readonly string[]) {
  const fragments = FRAGMENT_FILES.map((file) => {
    const source = readOperation(file);
    const definition = parse(source).definitions[0];
    if (definition?.kind !== Kind.FRAGMENT_DEFINITION)
      throw new Error(`${file}.graphql: not a fragment`);
    return { name: definition.name.value, source };
  });
  const example = labels[0] ?? "";
  const variables: Record<(typeof TAB_FILES)[number], object | null> = {
    about: null,
    "classify-base64": { image: sampleImageDataUrl(), options: { topK: 3, vlm: "AUTO" } },
    classify: { image: null, options: { topK: 3, vlm: "AUTO" } },
    "classify-batch": { images: [null, null], options: { vlm: "FORCE" } },
    "submit-feedback": { id: "a Classification.id", label: example },
  };
  return TAB_FILES.map((file) => {
    const source = readOperation(file);
    const used = spreadFragments(source);
    const query = [
      /\bFile!/.test(source) ? UPLOAD_NOTE : "",
      source,
      ...fragments.filter((f) => used.has(f.name)).map((f) => `\n${f.source}`),
    ].join("");
    const vars = variables[file];
    return { query, variables: vars ? JSON.stringify(vars, null, 2) : null };
  });
}

/**
 * GraphiQL served from the package's own bundled assets (no CDN: it works offline and behind
 * strict networks), opened on the example operations.
 */
export function graphiqlOptions(labels: readonly string[]) {
  const tabs = exampleTabs(labels);
  return {
    title: "Image classification",
    defaultQuery: tabs[0]?.query,
    defaultTabs: tabs,
  };
}

/**
 * GraphiQL's page with its assets inlined (megabytes): rendered once per set of options, not
 * on every visit.
 */
export function createGraphiQLRenderer() {
  let cached: { key: string; html: string } | undefined;
  return (options: Parameters<typeof renderGraphiQL>[0]) => {
    const key = JSON.stringify(options);
    if (cached?.key !== key) cached = { key, html: renderGraphiQL(options) };
    return cached.html;
  };
}
