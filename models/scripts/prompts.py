"""The prompt corpus: training templates, held-out templates and class names with synonyms."""

# Templates the text tower is trained on.
TRAIN_TEMPLATES = [
    "a photo of the {}.",
    "a photo of my {}.",
    "a photo of one {}.",
    "a photo of a small {}.",
    "a photo of a large {}.",
    "a photo of a clean {}.",
    "a photo of a used {}.",
    "a blurry photo of a {}.",
    "a bright photo of the {}.",
    "a dark photo of a {}.",
    "a cropped photo of the {}.",
    "a good photo of a {}.",
    "a bad photo of the {}.",
    "a grayscale photo of a {}.",
    "a pixelated photo of the {}.",
    "a low resolution image of the {}.",
    "a black and white image of the {}.",
    "a close-up image of a {}.",
    "a picture of the {}.",
    "a picture of my {}.",
    "a tiny picture of a {}.",
    "an image of the {}.",
    "an image showing a {}.",
    "a product image of the {}.",
    "a product shot of a {}.",
    "a catalog image of a {}.",
    "a thumbnail of a {}.",
    "a {}.",
    "the {}.",
    "{}",
    "a {} for sale.",
    "this is a {}.",
    "there is a {} in this picture.",
    "a {} on a plain background.",
    "fashion item: {}.",
    "a scan of the {}.",
    "a drawing of a {}.",
    "a photo of a {} from a shop.",
]

# Templates held out of training. The pack's text embeddings average over these
# (they are written to clip/templates.json). Every word in them occurs in
# TRAIN_TEMPLATES, but no held-out template is a training template.
HELD_OUT_TEMPLATES = [
    "a photo of a {}.",
    "a picture of a {}.",
    "a product photo of a {}.",
    "a black and white photo of a {}.",
    "a low resolution photo of a {}.",
    "a close-up photo of the {}.",
    "an image of a {}.",
    "a catalog photo of the {}.",
]

# Names per class, in labels.json order. The first name is the label itself.
CLASS_NAMES = [
    ["T-shirt/top", "t-shirt", "tee shirt", "tee", "top", "tshirt"],
    ["trouser", "trousers", "pants", "jeans", "slacks"],
    ["pullover", "jumper", "sweater", "sweatshirt", "knit sweater"],
    ["dress", "gown", "frock", "summer dress"],
    ["coat", "jacket", "overcoat", "parka", "winter coat"],
    ["sandal", "sandals", "flip-flop", "summer sandal"],
    ["shirt", "blouse", "button-down shirt", "long-sleeved shirt"],
    ["sneaker", "sneakers", "trainers", "trainer", "running shoe", "sports shoe"],
    ["bag", "handbag", "purse", "backpack", "tote bag", "shoulder bag"],
    ["ankle boot", "boot", "boots", "ankle boots", "short boot"],
]


# Run-time label sets the build evaluates the CLIP path with (not used in training):
# one trained synonym per class, and words that never occur in the corpus.
SYNONYM_LABELS = ["t-shirt", "pants", "sweater", "gown", "jacket",
                  "sandals", "blouse", "sneakers", "handbag", "boot"]
UNSEEN_LABELS = ["polo", "leggings", "hoodie", "robe", "raincoat",
                 "espadrille", "flannel", "loafer", "clutch", "galosh"]


def corpus():
    """Every prompt string the tokenizer should cover: all templates x all names."""
    out = []
    for template in TRAIN_TEMPLATES + HELD_OUT_TEMPLATES:
        for names in CLASS_NAMES:
            for name in names:
                out.append(template.format(name))
    return out
