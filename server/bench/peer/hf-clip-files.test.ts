import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  clipConfig,
  clipTokenizerConfig,
  clipTokenizerJson,
  VIT_B32_DIMS,
} from "./hf-clip-files.ts";
import { PEER_PACKAGE, PEER_VERSION } from "./install-peer.ts";

const repoRoot = path.resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "..");
const bpeDir = path.join(path.resolve(repoRoot, "..", "shared"), "data", "clip-bpe");
const peerRoot = path.join(repoRoot, ".cache", "bench-peer", "node_modules", PEER_PACKAGE);

describe("clipConfig", () => {
  const config = clipConfig(VIT_B32_DIMS);

  it("describes a CLIPModel with the pack's tower sizes", () => {
    expect(config).toMatchObject({
      architectures: ["CLIPModel"],
      model_type: "clip",
      projection_dim: 512,
      text_config: { hidden_size: 512, num_hidden_layers: 12, max_position_embeddings: 77 },
      vision_config: { hidden_size: 768, patch_size: 32, image_size: 224 },
      "transformers.js_config": { dtype: "fp32" },
    });
  });

  it("stores the logit scale as its logarithm", () => {
    expect(Math.exp(config.logit_scale_init_value)).toBeCloseTo(100, 10);
  });
});

describe("clipTokenizerJson", () => {
  const vocab = {
    a: 0,
    b: 1,
    "a</w>": 2,
    "b</w>": 3,
    "ab</w>": 4,
    "<|startoftext|>": 5,
    "<|endoftext|>": 6,
  };

  it("keeps the merges in file order and the specials' ids", () => {
    const json = clipTokenizerJson(vocab, "#version: 0.2\na b</w>\n");
    expect(json.model.merges).toEqual(["a b</w>"]);
    expect(json.model.end_of_word_suffix).toBe("</w>");
    expect(json.added_tokens.map((t) => [t.content, t.id])).toEqual([
      ["<|startoftext|>", 5],
      ["<|endoftext|>", 6],
    ]);
    expect(json.post_processor.cls).toEqual(["<|startoftext|>", 5]);
    expect(json.post_processor.sep).toEqual(["<|endoftext|>", 6]);
  });

  it("rejects merges.txt without its header, and a vocabulary without the specials", () => {
    expect(() => clipTokenizerJson(vocab, "a b</w>\n")).toThrow(/#version/);
    expect(() => clipTokenizerJson({ a: 0 }, "#version: 0.2\n")).toThrow(/startoftext/);
  });

  it("pads with the end token, as openai/clip-vit-base-patch32 does", () => {
    expect(clipTokenizerConfig(77)).toMatchObject({
      model_max_length: 77,
      pad_token: "<|endoftext|>",
    });
  });
});

interface Golden {
  context_length: number;
  cases: { text: string; ids: number[]; length: number }[];
}
const golden = existsSync(path.join(bpeDir, "golden.json"))
  ? (JSON.parse(readFileSync(path.join(bpeDir, "golden.json"), "utf8")) as Golden)
  : null;
const peerInstalled =
  existsSync(path.join(peerRoot, "package.json")) &&
  JSON.parse(readFileSync(path.join(peerRoot, "package.json"), "utf8")).version === PEER_VERSION;
if (!golden)
  console.warn("skipping the tokenizer.json golden test: ../shared/data/clip-bpe not found");
if (!peerInstalled)
  console.warn("skipping the tokenizer.json golden test: run npm run bench:peer once");

// Hugging Face's CLIP tokenizer has no HTML-unescape step (openai/CLIP's has).
const hasHtmlEntity = (text: string) => /&[a-z]+;/i.test(text);

describe.skipIf(!golden || !peerInstalled)("tokenizer.json through the peer's tokenizer", () => {
  it("gives CLIP's golden ids for every case without HTML entities", async () => {
    const { golden: g } = { golden: golden as Golden };
    const { PreTrainedTokenizer } = await import(
      pathToFileURL(path.join(peerRoot, "dist", "transformers.node.mjs")).href
    );
    const tokenizer = new PreTrainedTokenizer(
      clipTokenizerJson(
        JSON.parse(readFileSync(path.join(bpeDir, "vocab.json"), "utf8")),
        readFileSync(path.join(bpeDir, "merges.txt"), "utf8"),
      ),
      clipTokenizerConfig(g.context_length),
    );
    const cases = g.cases.filter((c) => !hasHtmlEntity(c.text));
    expect(cases.length).toBeGreaterThan(10);
    for (const c of cases) {
      const ids: number[] = tokenizer.encode(c.text);
      // openai/CLIP truncates the content and keeps the end token.
      const content = ids.slice(1, -1).slice(0, g.context_length - 2);
      expect([ids[0], ...content, ids.at(-1)], c.text).toEqual(c.ids.slice(0, c.length));
    }
  });
});
