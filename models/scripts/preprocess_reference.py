"""Reference image preprocessing with PIL, to check the server's sharp pipeline against.

Follows Hugging Face CLIPImageProcessor step by step: convert to RGB, resize so the shortest
edge is `size.shortest_edge` (the longer side is `int(size * long / short)`) with the PIL
resample filter named in the config, centre crop (top = (h - ch) // 2, left = (w - cw) // 2),
rescale, normalise, CHW.

It writes, into server/preprocess/fixtures/:
  - two small reference images, generated deterministically: a 400x300 PNG (shrunk by the
    resize, like most photos) and a 97x135 JPEG (smaller than the crop, so the resize enlarges);
  - preprocess-golden.json: for each reference image its shape, per-channel mean and values at
    fixed (c, y, x) coordinates. When the shared sample photos sit next to the repository
    (../shared/data/imagenet-samples), one real photo is added to the golden file too.

Needs Python 3 with Pillow and NumPy (the committed goldens were made with Pillow 9.4):
    python3 models/scripts/preprocess_reference.py [--dump-dir DIR]
    npx biome format --write server/preprocess/fixtures/preprocess-golden.json
--dump-dir also writes each full reference tensor as raw little-endian float32, for measuring.
"""

import argparse
import json
import os

import numpy as np
from PIL import Image, ImageDraw

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO_ROOT, "server", "preprocess", "fixtures")
SHARED_SAMPLES = os.path.join(REPO_ROOT, "..", "shared", "data", "imagenet-samples")
SHARED_PHOTO = "n01440764_tench.JPEG"

# The imagenet-mini pack's preprocessor_config.json (MobileNetV2's ImageNet mean and std).
CONFIG_NAME = "imagenet-mini"
CONFIG = {
    "do_convert_rgb": True,
    "do_resize": True,
    "size": {"shortest_edge": 256},
    "resample": 2,
    "do_center_crop": True,
    "crop_size": {"height": 224, "width": 224},
    "do_rescale": True,
    "rescale_factor": 1 / 255,
    "do_normalize": True,
    "image_mean": [0.485, 0.456, 0.406],
    "image_std": [0.229, 0.224, 0.225],
}

SAMPLES_PER_IMAGE = 30
SAMPLE_SEED = 20240


def make_gradient_png(path):
    """400x300: smooth gradients in all three channels, with a few hard-edged shapes."""
    w, h = 400, 300
    x = np.arange(w, dtype=np.float64)[None, :]
    y = np.arange(h, dtype=np.float64)[:, None]
    r = 255 * x / (w - 1) + 0 * y
    g = 255 * y / (h - 1) + 0 * x
    b = 128 + 100 * np.sin(x / 23.0) * np.cos(y / 17.0)
    rgb = np.stack([r, g, b], axis=-1).round().clip(0, 255).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle([60, 45, 150, 130], fill=(250, 250, 20))
    draw.ellipse([230, 80, 350, 230], fill=(20, 40, 200))
    draw.line([(0, 299), (399, 0)], fill=(255, 255, 255), width=6)
    draw.polygon([(160, 200), (215, 150), (270, 260)], fill=(200, 30, 60))
    image.save(path, format="PNG", optimize=True)


def make_small_jpeg(path):
    """97x135 (portrait, smaller than the 224 crop): gradients, a disc and a bar; JPEG q92."""
    w, h = 97, 135
    x = np.arange(w, dtype=np.float64)[None, :]
    y = np.arange(h, dtype=np.float64)[:, None]
    r = 60 + 180 * (x / (w - 1)) * (y / (h - 1))
    g = 200 - 150 * y / (h - 1) + 0 * x
    b = 90 + 80 * np.cos((x + y) / 15.0)
    rgb = np.stack([r, g, b], axis=-1).round().clip(0, 255).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse([20, 40, 75, 95], fill=(240, 200, 40))
    draw.rectangle([0, 110, 96, 118], fill=(10, 10, 10))
    image.save(path, format="JPEG", quality=92, subsampling=0)


def resized_size(width, height, shortest_edge):
    """Hugging Face get_resize_output_image_size(default_to_square=False)."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = shortest_edge, int(shortest_edge * long / short)
    return (new_short, new_long) if width <= height else (new_long, new_short)


def preprocess(path, config):
    """CLIPImageProcessor.preprocess for one image, in float64; returns (CHW array, resized size)."""
    image = Image.open(path)
    image.load()
    if config["do_convert_rgb"] and image.mode != "RGB":
        image = image.convert("RGB")
    new_w, new_h = resized_size(image.width, image.height, config["size"]["shortest_edge"])
    image = image.resize((new_w, new_h), resample=config["resample"], reducing_gap=None)
    pixels = np.asarray(image)  # HWC uint8
    ch, cw = config["crop_size"]["height"], config["crop_size"]["width"]
    top, left = (new_h - ch) // 2, (new_w - cw) // 2
    pixels = pixels[top : top + ch, left : left + cw, :]
    x = pixels.astype(np.float64) * config["rescale_factor"]
    x = (x - np.array(config["image_mean"])) / np.array(config["image_std"])
    return x.transpose(2, 0, 1), (new_w, new_h)


def sample_coordinates(shape, count, seed):
    """Fixed (c, y, x) points: the four crop corners and the centre of each channel, then random."""
    c_n, h, w = shape
    points = [(0, 0, 0), (1, 0, w - 1), (2, h - 1, 0), (0, h - 1, w - 1), (1, h // 2, w // 2)]
    rng = np.random.default_rng(seed)
    while len(points) < count:
        points.append((int(rng.integers(c_n)), int(rng.integers(h)), int(rng.integers(w))))
    return points


def golden_case(path, file_label, source, config, dump_dir):
    tensor, resized = preprocess(path, config)
    if dump_dir:
        name = os.path.splitext(os.path.basename(path))[0]
        tensor.astype("<f4").tofile(os.path.join(dump_dir, f"{name}.f32"))
    with Image.open(path) as original:
        original_size = [original.width, original.height]
    return {
        "file": file_label,
        "source": source,
        "config": CONFIG_NAME,
        "originalSize": original_size,
        "resizedSize": list(resized),
        "shape": list(tensor.shape),
        "channelMean": [round(float(tensor[c].mean()), 6) for c in range(tensor.shape[0])],
        "samples": [
            {"c": c, "y": y, "x": x, "value": round(float(tensor[c, y, x]), 6)}
            for c, y, x in sample_coordinates(tensor.shape, SAMPLES_PER_IMAGE, SAMPLE_SEED)
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dump-dir", help="also write each full reference tensor as float32")
    args = parser.parse_args()
    if args.dump_dir:
        os.makedirs(args.dump_dir, exist_ok=True)

    os.makedirs(FIXTURES, exist_ok=True)
    gradient = os.path.join(FIXTURES, "gradient-400x300.png")
    small = os.path.join(FIXTURES, "small-97x135.jpg")
    make_gradient_png(gradient)
    make_small_jpeg(small)

    cases = [
        golden_case(gradient, "gradient-400x300.png", "fixtures", CONFIG, args.dump_dir),
        golden_case(small, "small-97x135.jpg", "fixtures", CONFIG, args.dump_dir),
    ]
    photo = os.path.join(SHARED_SAMPLES, SHARED_PHOTO)
    if os.path.exists(photo):
        cases.append(golden_case(photo, SHARED_PHOTO, "shared/data/imagenet-samples", CONFIG, args.dump_dir))
    else:
        print(f"note: {SHARED_PHOTO} not found next to the repository; its golden case is left out")

    golden = {
        "about": "PIL reference for server/preprocess (models/scripts/preprocess_reference.py); "
        "values are CHW after resize, centre crop, rescale and normalise",
        "pillow": Image.__version__,
        "configs": {CONFIG_NAME: CONFIG},
        "cases": cases,
    }
    with open(os.path.join(FIXTURES, "preprocess-golden.json"), "w") as f:
        json.dump(golden, f, indent=2)
        f.write("\n")
    for case in cases:
        print(case["file"], case["resizedSize"], case["shape"], case["channelMean"])


if __name__ == "__main__":
    main()
