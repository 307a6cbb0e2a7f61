#!/usr/bin/env python3
"""A second quality set from images that are not in this repository: photos, graphics and
screenshots that Debian packages install, as PNGs in one folder (issue 15 asks that the
quality be checked outside the samples). Rounds 6-9 measured ideas on the first list too;
the hold-out list (--holdout) was never tuned on.

    /usr/bin/python3 bench/outside_set.py OUT_DIR             # prints the paths written, one a line
    /usr/bin/python3 bench/outside_set.py --holdout OUT_DIR   # the hold-out set instead (below)

Each source names its package; one that is not installed is skipped with a line on stderr
(scripts/install-deps.sh --bench installs them all). Images over 0.6 MP are resized (Lanczos)
so scikit-learn and OpenCV finish within the cap; alpha is kept where a pixel uses it.
"""
import os
import sys

from PIL import Image

PYTHON = "/usr/lib/python3/dist-packages"
SOURCES = [
    # name, path, Debian package, kind
    ("china", f"{PYTHON}/sklearn/datasets/images/china.jpg", "python3-sklearn", "photo"),
    ("flower", f"{PYTHON}/sklearn/datasets/images/flower.jpg", "python3-sklearn", "photo"),
    ("hopper", "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg", "python-matplotlib-data", "photo"),
    ("motorcycle", f"{PYTHON}/skimage/data/motorcycle_left.png", "python3-skimage", "photo"),
    ("hubble", f"{PYTHON}/skimage/data/hubble_deep_field.jpg", "python3-skimage", "photo"),
    ("retina", f"{PYTHON}/skimage/data/retina.jpg", "python3-skimage", "photo"),
    ("ihc", f"{PYTHON}/skimage/data/ihc.png", "python3-skimage", "photo (microscopy)"),
    ("color", f"{PYTHON}/skimage/data/color.png", "python3-skimage", "synthetic colour chart"),
    ("logo", f"{PYTHON}/skimage/data/logo.png", "python3-skimage", "graphic"),
    ("camera-icon", "/usr/share/icons/Adwaita/512x512/devices/camera-web.png", "adwaita-icon-theme", "icon, alpha"),
    ("headset-icon", "/usr/share/icons/Adwaita/512x512/devices/audio-headset.png", "adwaita-icon-theme",
     "icon, alpha (nearly opaque body)"),
    ("xtree", "/usr/share/doc/valgrind/html/images/kcachegrind_xtree.png", "valgrind", "screenshot, a few clear pixels"),
    ("boxplot", "/usr/share/doc/nodejs/contributing/doc_img/compare-boxplot.png", "nodejs", "chart"),
    # Added in round 6 (after the tables above had been tuned on): a photo, two grey photos, two icons.
    ("rocket", f"{PYTHON}/skimage/data/rocket.jpg", "python3-skimage", "photo"),
    ("moon", f"{PYTHON}/skimage/data/moon.png", "python3-skimage", "grey photo"),
    ("coins", f"{PYTHON}/skimage/data/coins.png", "python3-skimage", "grey photo"),
    ("server-icon", "/usr/share/icons/Adwaita/512x512/places/network-server.png", "adwaita-icon-theme", "icon, alpha"),
    ("chromium-icon", "/usr/share/icons/hicolor/256x256/apps/chromium.png", "chromium", "icon, alpha"),
]
# The hold-out set: photos and graphics first run in round 10, after rounds 6-9 had been measured
# on the set above, and never tuned on (bench/NOTES.md, "Quality, round 10").
MATE = "/usr/share/backgrounds/mate"
HOLDOUT_SOURCES = [
    (name.lower(), f"{MATE}/nature/{name}.jpg", "mate-backgrounds", "photo")
    for name in ("Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops",
                 "Storm", "TwoWings", "Wood", "YellowFlower")
] + [
    ("elephants", f"{MATE}/abstract/Elephants.jpg", "mate-backgrounds", "photo (animals, dusk)"),
    ("wood-texture", "/usr/share/backgrounds/gnome/wood-l.webp", "gnome-backgrounds", "photo (texture), WebP"),
    ("arc-wallpaper", f"{MATE}/abstract/Arc-Colors-Transparent-Wallpaper.png", "mate-backgrounds",
     "graphic, alpha"),
    ("float-wallpaper", f"{MATE}/desktop/Float-into-MATE.png", "mate-backgrounds", "graphic (soft gradients)"),
]
MAX_PIXELS = 600_000


def prepared(path):
    image = Image.open(path)
    image.load()
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")  # an alpha channel no pixel uses
    scale = min(1.0, (MAX_PIXELS / (image.width * image.height)) ** 0.5)
    if scale < 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    return image


def main():
    args = sys.argv[1:]
    holdout = args[:1] == ["--holdout"]
    if holdout:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    out_dir = args[0]
    os.makedirs(out_dir, exist_ok=True)
    for name, path, package, _kind in HOLDOUT_SOURCES if holdout else SOURCES:
        if not os.path.exists(path):
            print(f"outside_set.py: {path} missing (Debian package {package}): skipped", file=sys.stderr)
            continue
        out = os.path.join(out_dir, name + ".png")
        prepared(path).save(out)
        print(out)


if __name__ == "__main__":
    main()
