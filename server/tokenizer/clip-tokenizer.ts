import { readFile } from "node:fs/promises";
import { BYTE_TO_UNICODE } from "./byte-to-unicode.ts";
import { htmlUnescape } from "./html-unescape.ts";

const START_OF_TEXT = "<|startoftext|>";
const END_OF_TEXT = "<|endoftext|>";
const END_OF_WORD = "</w>";
const PRE_TOKEN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;
// Class labels repeat across requests; the bound keeps arbitrary user text from growing the cache forever.
const MAX_CACHED_WORDS = 10_000;

/** Token ids of one text, framed and padded to the context length. */
export interface ClipTokenizer {
  readonly contextLength: number;
  /** Id of "<|startoftext|>" in the vocabulary. */
  readonly startToken: number;
  /** Id of "<|endoftext|>" in the vocabulary. */
  readonly endToken: number;
  /** ids: [start] + bpe[:contextLength-2] + [end], padded with 0 to contextLength; `length` counts ids before padding. */
  encode(text: string): { ids: Int32Array; length: number; truncated: boolean };
  /** Batch as the int64 tensor data ONNX text towers take: texts.length × contextLength, row-major. */
  encodeBatch(texts: readonly string[]): BigInt64Array;
}

/**
 * Builds an OpenAI-CLIP-compatible BPE tokenizer from a Hugging Face style vocab and merge list
 * (merge lines in priority order, header excluded). ftfy's text repair is not reproduced.
 */
export function createClipTokenizer(options: {
  vocab: Record<string, number>;
  merges: readonly string[];
  contextLength: number;
}): ClipTokenizer {
  const { contextLength } = options;
  if (!Number.isInteger(contextLength) || contextLength < 2) {
    throw new Error(
      `CLIP tokenizer: contextLength must be an integer ≥ 2 (room for start and end tokens), got ${contextLength}`,
    );
  }
  const vocab = new Map<string, number>();
  for (const [symbol, id] of Object.entries(options.vocab)) {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw new Error(
        `CLIP tokenizer: vocab id of ${JSON.stringify(symbol)} is not a non-negative int32: ${id}`,
      );
    }
    vocab.set(symbol, id);
  }
  const special = (name: string): number => {
    const id = vocab.get(name);
    if (id === undefined) throw new Error(`CLIP tokenizer: vocab has no ${name} token`);
    return id;
  };
  const startToken = special(START_OF_TEXT);
  const endToken = special(END_OF_TEXT);

  // Symbols never contain a space (the byte table maps it to "Ġ"), so "left right" is an unambiguous key.
  const ranks = new Map<string, number>();
  options.merges.forEach((line, rank) => {
    const parts = line.split(" ");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      throw new Error(
        `CLIP tokenizer: merge line ${rank + 1} is not "left right": ${JSON.stringify(line)}`,
      );
    }
    if (!ranks.has(line)) ranks.set(line, rank);
  });

  const cache = new Map<string, readonly number[]>();

  function bpe(preToken: string): readonly number[] {
    const cached = cache.get(preToken);
    if (cached) return cached;
    let symbols = Array.from(
      Buffer.from(preToken, "utf8"),
      (byte) => BYTE_TO_UNICODE[byte] as string,
    );
    symbols[symbols.length - 1] += END_OF_WORD;
    while (symbols.length > 1) {
      let best: string | undefined;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = `${symbols[i]} ${symbols[i + 1]}`;
        }
      }
      if (best === undefined) break;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && `${symbols[i]} ${symbols[i + 1]}` === best) {
          merged.push(`${symbols[i]}${symbols[i + 1]}`);
          i++;
        } else {
          merged.push(symbols[i] as string);
        }
      }
      symbols = merged;
    }
    const ids = symbols.map((symbol) => {
      const id = vocab.get(symbol);
      if (id === undefined) {
        throw new Error(
          `CLIP tokenizer: symbol ${JSON.stringify(symbol)} (from ${JSON.stringify(preToken)}) is not in the vocab`,
        );
      }
      return id;
    });
    if (cache.size >= MAX_CACHED_WORDS) cache.clear();
    cache.set(preToken, ids);
    return ids;
  }

  const maxContent = contextLength - 2;

  function encode(text: string): { ids: Int32Array; length: number; truncated: boolean } {
    const clean = htmlUnescape(htmlUnescape(text)).replace(/\s+/g, " ").trim().toLowerCase();
    const content: number[] = [];
    for (const [preToken] of clean.matchAll(PRE_TOKEN)) {
      // Like OpenAI's tokenizer, a literal special token in the text becomes that token.
      if (preToken === START_OF_TEXT) content.push(startToken);
      else if (preToken === END_OF_TEXT) content.push(endToken);
      else content.push(...bpe(preToken));
      // Anything past the cut is discarded anyway; stop early on very long inputs.
      if (content.length > maxContent) break;
    }
    const truncated = content.length > maxContent;
    const kept = truncated ? content.slice(0, maxContent) : content;
    const ids = new Int32Array(contextLength); // zero-filled: 0 is CLIP's pad id
    ids[0] = startToken;
    ids.set(kept, 1);
    ids[kept.length + 1] = endToken;
    return { ids, length: kept.length + 2, truncated };
  }

  function encodeBatch(texts: readonly string[]): BigInt64Array {
    const out = new BigInt64Array(texts.length * contextLength);
    texts.forEach((text, row) => {
      const { ids } = encode(text);
      for (let i = 0; i < contextLength; i++) {
        out[row * contextLength + i] = BigInt(ids[i] as number);
      }
    });
    return out;
  }

  return { contextLength, startToken, endToken, encode, encodeBatch };
}

/** Reads vocab.json and merges.txt (skipping a leading "#version" line and blank lines). */
export async function loadClipTokenizer(
  paths: { vocab: string; merges: string },
  contextLength: number,
): Promise<ClipTokenizer> {
  const [vocabText, mergesText] = await Promise.all([
    readFile(paths.vocab, "utf8"),
    readFile(paths.merges, "utf8"),
  ]);
  const vocab: unknown = JSON.parse(vocabText);
  if (typeof vocab !== "object" || vocab === null || Array.isArray(vocab)) {
    throw new Error(`CLIP tokenizer: ${paths.vocab} is not a JSON object of token → id`);
  }
  const lines = mergesText.split(/\r?\n/);
  if (lines[0]?.startsWith("#version")) lines.shift();
  const merges = lines.filter((line) => line.trim() !== "");
  return createClipTokenizer({ vocab: vocab as Record<string, number>, merges, contextLength });
}
