"""Small pack files: JSON configs, templates, the tokenizer golden file and the sample images."""

import json
import os
import re

import numpy as np

import png


def write_json(path, obj, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=indent, ensure_ascii=False)
        f.write("\n")


def preprocessor_config(mean, std, size=28):
    """Hugging Face image-processor keys (CLIPImageProcessor style)."""
    return {
        "do_convert_rgb": True,
        "do_resize": True,
        "size": {"shortest_edge": size},
        "resample": 2,
        "do_center_crop": True,
        "crop_size": {"height": size, "width": size},
        "do_rescale": True,
        "rescale_factor": 0.00392156862745098,
        "do_normalize": True,
        "image_mean": [mean, mean, mean],
        "image_std": [std, std, std],
        "image_processor_type": "CLIPImageProcessor",
    }


GOLDEN_CASES = [
    ("a photo of a T-shirt/top.", "a held-out prompt with the first label; '/' and '-' are their own pre-tokens"),
    ("a product photo of a ankle boot.", "a held-out prompt with a two-word label"),
    ("A PICTURE OF SNEAKERS!", "upper case is lowercased first; '!' is a pre-token"),
    ("a photo of a kangaroo.", "a word outside the corpus is split into smaller pieces"),
    ("size 42 boots, 2024", "every digit is its own pre-token"),
    ("Isn't it the bag's?", "contractions 't and 's are pre-tokens; this vocabulary has no merge for them"),
    ("  a\tbag \n and\r\n  boots  ", "whitespace runs (tab, CR/LF) collapse to one space; ends trimmed"),
    ("café au lait", "non-ASCII letters belong to the word (\\p{L}+); 'é' is two UTF-8 bytes"),
    ("ñ ☕ 日本", "an accented letter, a symbol and CJK fall back to byte tokens"),
    ("", "empty string: start and end token only"),
    ("a bag!!! :-) (top?)", "punctuation runs are one pre-token each (here split into single bytes by BPE)"),
    ("fish &amp; chips &amp;lt;3", "HTML entities are unescaped twice: '&amp;lt;' becomes '<'"),
    ("a a a a a a a a a a a a a a", "exactly 14 content tokens: fits context 16 with no truncation"),
    ("a photo of a very very very very very very very very very very long dress.",
     "too long: content truncated to 14 tokens, the end token kept at index 15"),
]


def golden(tokenizer, context_length, vocab_name, merges_name):
    cases = []
    for text, note in GOLDEN_CASES:
        ids, length, truncated = tokenizer.tokenize(text, context_length)
        cases.append({"text": text, "ids": ids, "length": length, "truncated": truncated,
                      "tokens": tokenizer.tokens(ids[:length]), "note": note})
    return {
        "description": "Expected token ids for this pack's own CLIP-format BPE vocabulary "
                       "(openai/CLIP simple_tokenizer rules + clip.tokenize(..., truncate=True), "
                       "context length 16). See README.md.",
        "vocab": vocab_name,
        "merges": merges_name,
        "context_length": context_length,
        "start_token": tokenizer.start_id,
        "end_token": tokenizer.end_id,
        "pad_token": 0,
        "fields": {
            "text": "input string",
            "ids": "context_length ids: start, BPE ids, end, then pad_token",
            "length": "number of ids before the padding (start and end included)",
            "truncated": "true when the content did not fit and was cut to context_length - 2 tokens",
            "tokens": "vocab.json strings of the first `length` ids (debug aid)",
            "note": "what the case tests",
        },
        "cases": cases,
    }


def write_golden(path, obj):
    """Like write_json, but each case's values (lists included) stay on one line."""
    def one_line(v):
        return json.dumps(v, ensure_ascii=False)

    head = {k: v for k, v in obj.items() if k != "cases"}
    text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
    cases = []
    for case in obj["cases"]:
        fields = ",\n".join(f"      {one_line(k)}: {one_line(v)}" for k, v in case.items())
        cases.append("    {\n" + fields + "\n    }")
    text += ',\n  "cases": [\n' + ",\n".join(cases) + "\n  ]\n}\n"
    json.loads(text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def sample_file_name(index, label):
    """t10k-00012_sneaker.png; characters other than letters, digits and '-' become '_'."""
    return f"t10k-{index:05d}_{re.sub(r'[^A-Za-z0-9-]', '_', label)}.png"


def write_samples(folder, images, labels, label_names, per_class=3):
    """The first `per_class` test images of each class, as PNGs plus labels.tsv. Returns the rows."""
    os.makedirs(folder, exist_ok=True)
    chosen = sorted(int(i) for c in range(len(label_names)) for i in np.flatnonzero(labels == c)[:per_class])
    rows = []
    for i in chosen:
        name = sample_file_name(i, label_names[labels[i]])
        png.write_grey(os.path.join(folder, name), images[i])
        rows.append((name, int(labels[i]), label_names[labels[i]]))
    with open(os.path.join(folder, "labels.tsv"), "w", encoding="utf-8") as f:
        f.write("file\tclass_index\tlabel\n")
        for name, c, label in rows:
            f.write(f"{name}\t{c}\t{label}\n")
    return rows
