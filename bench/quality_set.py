#!/usr/bin/env python3
"""The quality benchmark set, generated from the committed samples into one folder of PNGs.

Every tool is later given the same PNG file, so decoding differences (JPEG,
EXIF) play no part in the comparison. Deterministic: the same files every run.

    /usr/bin/python3 bench/quality_set.py OUT_DIR          # the benchmark set
    /usr/bin/python3 bench/quality_set.py OUT_DIR --cost   # plus a 1080x1080 RGBA sprite for the time budget

Kinds of image (the ones issue 15 names): the samples as they are; crops and
Lanczos resizes of the two large photos; a smooth synthetic gradient; a nearly
grey photo (one sample desaturated to 8 % of its chroma); a screenshot-like
graphic with few colours and anti-aliased text; an RGBA sprite with a soft
alpha edge (for the composited error).
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample_images")


def sample(name):
    image = Image.open(os.path.join(SAMPLES, name))
    return image.convert("RGB")


def crop_center(image, width, height):
    left = (image.width - width) // 2
    top = (image.height - height) // 2
    return image.crop((left, top, left + width, top + height))


def gradient(width, height):
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / (width - 1)
    g = 255 * y / (height - 1)
    b = 127.5 + 127.5 * np.sin(2 * np.pi * (x + y) / (width + height))
    return Image.fromarray(np.dstack([r, g, b]).round().clip(0, 255).astype(np.uint8), "RGB")


def nearly_grey(image, chroma=0.08):
    rgb = np.asarray(image, dtype=np.float64)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    out = grey[..., None] + chroma * (rgb - grey[..., None])
    return Image.fromarray(out.round().clip(0, 255).astype(np.uint8), "RGB")


def screenshot(width=800, height=600):
    image = Image.new("RGB", (width, height), (246, 247, 249))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 48), fill=(36, 41, 47))
    draw.rectangle((0, 48, 180, height), fill=(230, 233, 238))
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 15)
        big = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 22)
    except OSError:
        font = big = ImageFont.load_default()
    draw.text((16, 12), "kmq dashboard", fill=(255, 255, 255), font=big)
    for i, label in enumerate(["Overview", "Images", "Palettes", "Settings", "Help"]):
        draw.text((20, 70 + 34 * i), label, fill=(52, 58, 64) if i else (9, 105, 218), font=font)
    colours = [(9, 105, 218), (26, 127, 55), (207, 34, 46), (191, 135, 0), (130, 80, 223)]
    for i in range(12):  # a bar chart
        h = 40 + (i * 37) % 180
        draw.rectangle((210 + 44 * i, 330 - h, 240 + 44 * i, 330), fill=colours[i % len(colours)])
    draw.line((200, 330, 760, 330), fill=(87, 96, 106), width=2)
    points = [(210 + 45 * i, 520 - int(60 * np.sin(i / 2.0)) - 3 * i) for i in range(13)]
    draw.line(points, fill=(207, 34, 46), width=3)  # a line plot, anti-aliased edges only from text
    for row in range(4):
        draw.text((210, 360 + 22 * row), f"row {row}: 1{row}2.{row}5 MB, palette {16 << row} colours",
                  fill=(36, 41, 47), font=font)
    draw.ellipse((640, 80, 760, 200), fill=(255, 213, 79), outline=(36, 41, 47), width=3)
    return image


def sprite(image, size=256):
    rgb = np.asarray(crop_center(image, size, size), dtype=np.uint8)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    radius = np.hypot(x - (size - 1) / 2, y - (size - 1) / 2)
    # Opaque inside 0.30 of the size, transparent beyond 0.48, a smooth ramp between.
    alpha = np.clip((0.48 * size - radius) / (0.18 * size), 0, 1)
    alpha = (255 * alpha).round().astype(np.uint8)
    rgba = np.dstack([rgb, alpha])
    rgba[alpha == 0] = 0
    return Image.fromarray(rgba, "RGBA")


def build(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    path = sample("path-2560x1440.jpg")
    volna = sample("volna-5120x2880.jpg")
    images = {
        "astronaut": sample("astronaut.png"),
        "baboon": sample("baboon.jpg"),
        "chelsea": sample("chelsea.png"),
        "coffee": sample("coffee.png"),
        "fruits": sample("fruits.jpg"),
        "path-crop-640x480": crop_center(path, 640, 480),
        "volna-crop-512x384": crop_center(volna, 512, 384),
        "path-resize-800x500": path.resize((800, 500), Image.LANCZOS),
        "volna-resize-960x540": volna.resize((960, 540), Image.LANCZOS),
        "gradient-512": gradient(512, 512),
        "grey-coffee": nearly_grey(sample("coffee.png")),
        "screenshot-800x600": screenshot(),
        "sprite-rgba-256": sprite(sample("astronaut.png")),
    }
    names = []
    for name, image in images.items():
        target = os.path.join(out_dir, name + ".png")
        image.save(target, optimize=False)
        names.append(target)
    return names


def build_cost(out_dir):
    """The large translucent image of the time budget (bench/quality_cost.sh): 415 k colours."""
    target = os.path.join(out_dir, "sprite-rgba-1080.png")
    sprite(sample("volna-5120x2880.jpg").resize((1920, 1080), Image.LANCZOS), 1080).save(target)
    return [target]


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--cost"):
        sys.exit(__doc__)
    names = build(sys.argv[1]) + (build_cost(sys.argv[1]) if len(sys.argv) == 3 else [])
    print("\n".join(names))
