"""CLIP byte-level BPE: a small merge trainer and a tokenizer that follows
openai/CLIP's simple_tokenizer.py + clip.tokenize(..., truncate=True), without ftfy.

The pre-tokenizer is written out by hand instead of with the `regex` module
(Debian's python3 has no `regex` by default). It matches, in order, at each
position:
  <|startoftext|> | <|endoftext|> | 's | 't | 're | 've | 'm | 'll | 'd
  | [\\p{L}]+ | [\\p{N}] | [^\\s\\p{L}\\p{N}]+
"""

import collections
import html
import json
import unicodedata

START = "<|startoftext|>"
END = "<|endoftext|>"
SPECIALS = (START, END)
CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
EOW = "</w>"

# Unicode White_Space (what `\s` means in the `regex` module and in JavaScript's /u regexes).
_WHITESPACE = set(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def bytes_to_unicode():
    """GPT-2's byte -> printable character table, in table order (byte values 0..255 as keys)."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()


def _is_space(c):
    return c in _WHITESPACE


def _is_letter(c):
    return unicodedata.category(c).startswith("L")


def _is_number(c):
    return unicodedata.category(c).startswith("N")


def clean(text):
    """HTML-unescape twice, collapse whitespace runs to one space, trim, lowercase."""
    text = html.unescape(html.unescape(text)).strip()
    out, in_space = [], False
    for c in text:
        if _is_space(c):
            in_space = True
            continue
        if in_space and out:
            out.append(" ")
        in_space = False
        out.append(c)
    return "".join(out).lower()


def pretokenize(text):
    """Split cleaned text into pre-tokens exactly like CLIP's regex."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        special = next((s for s in SPECIALS if text.startswith(s, i)), None)
        if special:
            out.append(special)
            i += len(special)
            continue
        contraction = next((s for s in CONTRACTIONS if text.startswith(s, i)), None)
        if contraction:
            out.append(contraction)
            i += len(contraction)
            continue
        if _is_letter(c):
            j = i + 1
            while j < n and _is_letter(text[j]):
                j += 1
        elif _is_number(c):
            j = i + 1
        elif _is_space(c):
            i += 1
            continue
        else:
            j = i + 1
            while j < n and not (_is_space(text[j]) or _is_letter(text[j]) or _is_number(text[j])):
                j += 1
        out.append(text[i:j])
        i = j
    return out


def word_symbols(pretoken):
    """Byte-level symbols of a pre-token, with </w> on the last one."""
    chars = [BYTE_ENCODER[b] for b in pretoken.encode("utf-8")]
    return tuple(chars[:-1]) + (chars[-1] + EOW,)


def _merge(word, first, second):
    """Merge every occurrence of (first, second) in word, left to right."""
    out, i = [], 0
    while i < len(word):
        if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
            out.append(first + second)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def train(texts, max_merges):
    """Learn BPE merges from texts. Stops when every word is one symbol or at max_merges.

    Pair counts are weighted by word frequency; ties go to the smallest pair
    (string order), so the result depends only on the input. A pair whose joined
    string is already a token is never chosen, so every merge adds a new token.
    """
    freq = collections.Counter()
    for text in texts:
        for p in pretokenize(clean(text)):
            if p not in SPECIALS:
                freq[word_symbols(p)] += 1
    words = dict(freq)
    known = set(BYTE_ENCODER.values()) | {c + EOW for c in BYTE_ENCODER.values()}
    merges = []
    while len(merges) < max_merges:
        pairs = collections.Counter()
        for word, count in words.items():
            for a, b in zip(word, word[1:]):
                if a + b not in known:
                    pairs[(a, b)] += count
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        known.add(best[0] + best[1])
        merged = collections.Counter()
        for word, count in words.items():
            merged[_merge(word, *best)] += count
        words = dict(merged)
    return merges


def vocab_from_merges(merges):
    """CLIP vocab order: 256 bytes, 256 bytes + </w>, one per merge, start, end."""
    chars = list(BYTE_ENCODER.values())
    tokens = chars + [c + EOW for c in chars] + [a + b for a, b in merges] + [START, END]
    if len(set(tokens)) != len(tokens):
        raise ValueError("duplicate token in vocabulary")
    return {t: i for i, t in enumerate(tokens)}


def write_files(merges, vocab_path, merges_path):
    vocab = vocab_from_merges(merges)
    with open(vocab_path, "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(merges_path, "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")


class Tokenizer:
    """CLIP tokenizer over a vocab.json + merges.txt pair."""

    def __init__(self, vocab_path, merges_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(merges_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if not lines[0].startswith("#version"):
            raise ValueError(f"{merges_path}: missing #version header")
        merges = [tuple(line.split(" ")) for line in lines[1:] if line]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.decoder = {i: t for t, i in self.encoder.items()}
        self.start_id = self.encoder[START]
        self.end_id = self.encoder[END]
        self.cache = {s: s for s in SPECIALS}

    def bpe(self, pretoken):
        if pretoken in self.cache:
            return self.cache[pretoken]
        word = word_symbols(pretoken)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            word = _merge(word, *best)
        result = " ".join(word)
        self.cache[pretoken] = result
        return result

    def encode(self, text):
        """BPE ids of text, without start/end tokens."""
        ids = []
        for p in pretokenize(clean(text)):
            ids.extend(self.encoder[t] for t in self.bpe(p).split(" "))
        return ids

    def tokenize(self, text, context_length):
        """[start] + ids[:context_length-2] + [end], padded with 0.

        Returns (ids, length, truncated); length counts start and end.
        """
        content = self.encode(text)
        truncated = len(content) > context_length - 2
        content = content[:context_length - 2]
        ids = [self.start_id] + content + [self.end_id]
        length = len(ids)
        return ids + [0] * (context_length - length), length, truncated

    def tokens(self, ids):
        return [self.decoder[i] for i in ids]
