import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { BYTE_TO_UNICODE } from "./byte-to-unicode.ts";
import { type ClipTokenizer, createClipTokenizer, loadClipTokenizer } from "./clip-tokenizer.ts";

/** The characters in table order (printable ranges first), which is the order of vocabulary ids 0–255. */
function byteCharsInVocabOrder(): string[] {
  const printable: string[] = [];
  const shifted: string[] = [];
  for (const ch of BYTE_TO_UNICODE) {
    ((ch.codePointAt(0) ?? 0) < 256 ? printable : shifted).push(ch);
  }
  return [...printable, ...shifted];
}

interface GoldenCase {
  text: string;
  ids: number[];
  length: number;
  truncated: boolean;
  note?: string;
}
interface Golden {
  context_length: number;
  start_token?: number;
  end_token?: number;
  pad_token?: number;
  cases: GoldenCase[];
}

const repoRoot = path.resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const sharedBpeDir = path.join(path.resolve(repoRoot, "..", "shared"), "data", "clip-bpe");
const packDir = path.join(repoRoot, "models", "fashion-mnist", "clip");

// describe.skipIf still runs the suite body to collect tests, so it needs a placeholder.
const NO_GOLDEN: Golden = { context_length: 0, cases: [] };

function readGolden(file: string): Golden | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Golden) : undefined;
}

function expectBatchMatchesEncode(tokenizer: ClipTokenizer, texts: readonly string[]): void {
  const batch = tokenizer.encodeBatch(texts);
  expect(batch).toBeInstanceOf(BigInt64Array);
  expect(batch.length).toBe(texts.length * tokenizer.contextLength);
  texts.forEach((text, row) => {
    const rowIds = batch.subarray(
      row * tokenizer.contextLength,
      (row + 1) * tokenizer.contextLength,
    );
    expect(Array.from(rowIds, Number)).toEqual(Array.from(tokenizer.encode(text).ids));
  });
}

/** Registers one test per golden case; returns the tokenizer the suite loaded. */
function goldenSuite(golden: Golden, load: () => Promise<ClipTokenizer>): () => ClipTokenizer {
  let tokenizer: ClipTokenizer;
  beforeAll(async () => {
    tokenizer = await load();
  });
  it("has the golden context length and special tokens", () => {
    expect(tokenizer.contextLength).toBe(golden.context_length);
    if (golden.start_token !== undefined) expect(tokenizer.startToken).toBe(golden.start_token);
    if (golden.end_token !== undefined) expect(tokenizer.endToken).toBe(golden.end_token);
  });
  for (const [index, c] of golden.cases.entries()) {
    it(`case ${index}: ${JSON.stringify(c.text).slice(0, 60)}`, () => {
      const { ids, length, truncated } = tokenizer.encode(c.text);
      expect(Array.from(ids)).toEqual(c.ids);
      expect(length).toBe(c.length);
      expect(truncated).toBe(c.truncated);
    });
  }
  it("encodeBatch agrees with encode", () => {
    expectBatchMatchesEncode(
      tokenizer,
      golden.cases.map((c) => c.text),
    );
  });
  return () => tokenizer;
}

const sharedGolden = readGolden(path.join(sharedBpeDir, "golden.json"));
if (!sharedGolden) console.warn("skipping CLIP BPE golden tests: ../shared not found");

describe.skipIf(!sharedGolden)("CLIP tokenizer against the OpenAI golden ids", () => {
  const golden = sharedGolden ?? NO_GOLDEN;
  const tokenizer = goldenSuite(golden, () =>
    loadClipTokenizer(
      {
        vocab: path.join(sharedBpeDir, "vocab.json"),
        merges: path.join(sharedBpeDir, "merges.txt"),
      },
      golden.context_length,
    ),
  );

  it("does not produce the ids of an ASCII-only pre-tokenizer", () => {
    const withWrongIds = golden.cases.filter((c) => c.note?.includes("WRONG ids ["));
    expect(withWrongIds.length).toBeGreaterThanOrEqual(2);
    for (const c of withWrongIds) {
      const wrong = JSON.parse(
        /WRONG ids (\[[\d, ]+\])/.exec(c.note ?? "")?.[1] ?? "null",
      ) as number[];
      const { ids, length } = tokenizer().encode(c.text);
      expect(Array.from(ids.subarray(0, length))).not.toEqual(wrong);
    }
  });
});

const packGolden = readGolden(path.join(packDir, "tokenizer_golden.json"));
if (!packGolden)
  console.warn(
    "skipping pack tokenizer tests: models/fashion-mnist/clip/tokenizer_golden.json not found",
  );

describe.skipIf(!packGolden)("CLIP tokenizer against the fashion-mnist pack golden ids", () => {
  const golden = packGolden ?? NO_GOLDEN;
  goldenSuite(golden, () =>
    loadClipTokenizer(
      { vocab: path.join(packDir, "vocab.json"), merges: path.join(packDir, "merges.txt") },
      golden.context_length,
    ),
  );
});

describe("CLIP tokenizer on a hand-made vocab", () => {
  // Same layout as CLIP's vocab: bytes, bytes + "</w>", one id per merge, then the two special tokens.
  const merges = ["b c</w>", "a b", "a a", "x y", "xy z</w>"];
  function tinyVocab(omit?: string): Record<string, number> {
    const bytes = byteCharsInVocabOrder();
    const symbols = [
      ...bytes,
      ...bytes.map((ch) => `${ch}</w>`),
      ...merges.map((m) => m.replace(" ", "")),
      "<|startoftext|>",
      "<|endoftext|>",
    ];
    return Object.fromEntries(symbols.filter((s) => s !== omit).map((s, id) => [s, id]));
  }
  const vocab = tinyVocab();
  const id = (symbol: string) => {
    const value = vocab[symbol];
    if (value === undefined) throw new Error(`test vocab lacks ${symbol}`);
    return value;
  };
  const tokenizer = createClipTokenizer({ vocab, merges, contextLength: 6 });
  const content = (text: string) => {
    const { ids, length } = tokenizer.encode(text);
    return Array.from(ids.subarray(1, length - 1));
  };

  it("reads the special tokens from the vocab", () => {
    expect(tokenizer.startToken).toBe(517);
    expect(tokenizer.endToken).toBe(518);
  });

  it("merges the lowest-rank pair first and marks the last symbol with </w>", () => {
    // "b c</w>" outranks "a b", so "abc" becomes a + bc</w>, not ab + c</w>.
    expect(content("abc")).toEqual([id("a"), id("bc</w>")]);
    expect(content("ab")).toEqual([id("a"), id("b</w>")]);
    expect(content("xyz")).toEqual([id("xyz</w>")]);
    expect(content("c")).toEqual([id("c</w>")]);
  });

  it("merges every occurrence of a pair left to right", () => {
    expect(content("aaaa")).toEqual([id("aa"), id("a"), id("a</w>")]);
  });

  it("encodes non-ASCII letters as UTF-8 bytes of one word", () => {
    // "é" is bytes C3 A9, which the byte table maps to "Ã" and "©".
    expect(content("é")).toEqual([id("Ã"), id("©</w>")]);
  });

  it("cleans up entities, whitespace and case before splitting", () => {
    expect(content("  A\t&amp;lt;\n")).toEqual(content("a <"));
    expect(content("&#x41;&#98;C")).toEqual(content("abc"));
    expect(content("it's")).toEqual([id("i"), id("t</w>"), id("'"), id("s</w>")]);
  });

  it("pads with 0 after the end token", () => {
    const result = tokenizer.encode("c");
    expect(Array.from(result.ids)).toEqual([517, id("c</w>"), 518, 0, 0, 0]);
    expect(result.length).toBe(3);
    expect(result.truncated).toBe(false);
    expect(Array.from(tokenizer.encode("").ids)).toEqual([517, 518, 0, 0, 0, 0]);
  });

  it("truncates the content and keeps the end token", () => {
    const exact = tokenizer.encode("c c c c");
    expect(exact.truncated).toBe(false);
    expect(exact.length).toBe(6);
    const long = tokenizer.encode("c d c d c d c d");
    expect(Array.from(long.ids)).toEqual([
      517,
      id("c</w>"),
      id("d</w>"),
      id("c</w>"),
      id("d</w>"),
      518,
    ]);
    expect(long.length).toBe(6);
    expect(long.truncated).toBe(true);
  });

  it("encodeBatch agrees with encode", () => {
    expectBatchMatchesEncode(tokenizer, ["abc", "", "c d c d c d c d", "xyz"]);
    expect(tokenizer.encodeBatch([]).length).toBe(0);
  });

  it("names a symbol missing from the vocab instead of crashing", () => {
    const broken = createClipTokenizer({ vocab: tinyVocab("bc</w>"), merges, contextLength: 6 });
    expect(() => broken.encode("abc")).toThrow(/"bc<\/w>"/);
  });

  it("validates its inputs", () => {
    const { "<|endoftext|>": _end, ...noEnd } = vocab;
    expect(() => createClipTokenizer({ vocab: noEnd, merges, contextLength: 6 })).toThrow(
      /<\|endoftext\|>/,
    );
    expect(() => createClipTokenizer({ vocab, merges, contextLength: 1 })).toThrow(/contextLength/);
    expect(() => createClipTokenizer({ vocab, merges: ["a b c"], contextLength: 6 })).toThrow(
      /merge line 1/,
    );
    expect(() => createClipTokenizer({ vocab, merges: ["ab"], contextLength: 6 })).toThrow(
      /merge line 1/,
    );
  });
});
