#!/usr/bin/env python3
"""kmq against scikit-learn's KMeans and pngquant at the same K, on the same pixels.

- scikit-learn: KMeans(init='k-means++', n_init=1, max_iter=300) on every
  pixel's RGB colour, run to its own convergence; fit time only.
- pngquant: `pngquant K --nofs` (no dithering, default speed) on the image as a
  PNG; its whole run (decode, quantize, encode) as kmq's is.
- kmq: `kmq compress -k K` with default settings; the whole run.

Error is the MSE per RGB channel of the image as a PNG stores it (sklearn's
centres rounded to bytes). Writes a Markdown table and JSON, prints the table.

    /usr/bin/python3 bench/compare_peers.py --kmq build/kmq --k 16,64 \
        --out results/quality_vs_peers sample_images/*

Needs Debian's python3-sklearn, python3-opencv and pngquant
(scripts/install-deps.sh --bench).
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time

import cv2
import numpy as np
from sklearn.cluster import KMeans


def rgb_of(image):
    return image.reshape(-1, 3)[:, ::-1].astype(np.float64)


def timed(command):
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return done.stdout, time.perf_counter() - started


def run_kmq(binary, path, k, seed, tmp):
    out = os.path.join(tmp, "kmq.png")
    stdout, seconds = timed([binary, "compress", path, "-o", out, "-k", str(k), "--seed", str(seed), "--json", "--force"])
    report = json.loads(stdout)
    return {"mse": report["mse"], "seconds": seconds, "bytes": os.path.getsize(out), "iterations": report["iterations"]}


def run_pngquant(png_input, pixels, k, tmp):
    out = os.path.join(tmp, "pngquant.png")
    _, seconds = timed(["pngquant", str(k), "--nofs", "--force", "--output", out, png_input])
    decoded = cv2.imread(out, cv2.IMREAD_COLOR)
    return {"mse": float(((rgb_of(decoded) - pixels) ** 2).mean()), "seconds": seconds, "bytes": os.path.getsize(out)}


def run_sklearn(pixels, k, seed):
    started = time.perf_counter()
    model = KMeans(n_clusters=k, init="k-means++", n_init=1, random_state=seed, max_iter=300).fit(pixels)
    seconds = time.perf_counter() - started
    palette = np.clip(np.rint(model.cluster_centers_), 0, 255)
    return {"mse": float(((pixels - palette[model.labels_]) ** 2).mean()), "seconds": seconds,
            "iterations": int(model.n_iter_)}


def cpu_name():
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kmq", default="build/kmq")
    parser.add_argument("--k", default="16,64")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn (slow on large images)")
    parser.add_argument("--out", default="results/quality_vs_peers")
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()
    has_pngquant = shutil.which("pngquant") is not None

    import sklearn
    header = ("| image | size | K | kmq MSE | sklearn MSE | pngquant MSE | kmq s | sklearn s | pngquant s | "
              "kmq bytes | pngquant bytes |\n|---|---|---|---|---|---|---|---|---|---|---|")
    print(header, flush=True)
    lines, rows = [header], []
    for path in args.images:
        image = cv2.imread(path, cv2.IMREAD_COLOR)  # 8-bit BGR, EXIF orientation applied, as kmq decodes
        if image is None:
            continue
        pixels = rgb_of(image)
        height, width = image.shape[:2]
        with tempfile.TemporaryDirectory() as tmp:
            png_input = os.path.join(tmp, "input.png")
            cv2.imwrite(png_input, image)
            for k in [int(v) for v in args.k.split(",")]:
                row = {"image": os.path.basename(path), "width": width, "height": height, "k": k,
                       "kmq": run_kmq(args.kmq, path, k, args.seed, tmp)}
                if not args.no_sklearn:
                    row["sklearn"] = run_sklearn(pixels, k, args.seed)
                if has_pngquant:
                    row["pngquant"] = run_pngquant(png_input, pixels, k, tmp)
                rows.append(row)
                get = lambda peer, key, fmt: format(row[peer][key], fmt) if peer in row else "–"
                line = (f"| {row['image']} | {width}x{height} | {k} | {get('kmq', 'mse', '.2f')} | "
                        f"{get('sklearn', 'mse', '.2f')} | {get('pngquant', 'mse', '.2f')} | "
                        f"{get('kmq', 'seconds', '.2f')} | {get('sklearn', 'seconds', '.2f')} | "
                        f"{get('pngquant', 'seconds', '.2f')} | {get('kmq', 'bytes', ',')} | {get('pngquant', 'bytes', ',')} |")
                print(line, flush=True)
                lines.append(line)
    machine = (f"Machine: {cpu_name()}, {os.cpu_count()} hardware threads; scikit-learn {sklearn.__version__}; "
               f"{subprocess.run(['pngquant', '--version'], capture_output=True, text=True).stdout.strip() if has_pngquant else 'no pngquant'}; "
               f"{time.strftime('%Y-%m-%d')}.")
    with open(args.out + ".md", "w") as md:
        md.write("# kmq vs scikit-learn KMeans and pngquant at the same K\n\n" + machine + "\n\n")
        md.write(__doc__.split("\n\n")[1] + "\n\n" + "\n".join(lines) + "\n")
    with open(args.out + ".json", "w") as js:
        json.dump({"machine": machine, "rows": rows}, js, indent=2)


if __name__ == "__main__":
    main()
