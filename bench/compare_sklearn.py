#!/usr/bin/env python3
"""kmq's error against scikit-learn's KMeans at the same K, on the same pixels.

scikit-learn runs k-means++ (its greedy variant), n_init=1, on every pixel's RGB
colour, to convergence (its default tol, max_iter 300). Both MSEs are per RGB
channel of the image as a PNG would store it: centres rounded to bytes.
Writes a Markdown table (and JSON) and prints it.

    /usr/bin/python3 bench/compare_sklearn.py --kmq build/kmq --k 16,64 \
        --out results/quality_vs_sklearn sample_images/*.jpg sample_images/*.png

Needs Debian's python3-sklearn and python3-opencv (apt-get install).
"""
import argparse
import json
import os
import platform
import subprocess
import tempfile
import time

import cv2
import numpy as np
from sklearn.cluster import KMeans


def rgb_pixels(path):
    image = cv2.imread(path, cv2.IMREAD_COLOR)  # 8-bit BGR, EXIF orientation applied, as kmq decodes
    if image is None:
        raise SystemExit(f"cannot read {path}")
    return image.reshape(-1, 3)[:, ::-1].astype(np.float64), image.shape[1], image.shape[0]


def run_kmq(binary, path, k, seed):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.png")
        started = time.perf_counter()
        done = subprocess.run([binary, "compress", path, "-o", out, "-k", str(k), "--seed", str(seed), "--json"],
                              check=True, capture_output=True, text=True)
        return json.loads(done.stdout), time.perf_counter() - started


def run_sklearn(pixels, k, seed):
    started = time.perf_counter()
    model = KMeans(n_clusters=k, init="k-means++", n_init=1, random_state=seed, max_iter=300).fit(pixels)
    seconds = time.perf_counter() - started
    palette = np.clip(np.rint(model.cluster_centers_), 0, 255)
    error = ((pixels - palette[model.labels_]) ** 2).mean()
    return error, seconds, model.n_iter_


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
    parser.add_argument("--out", default="results/quality_vs_sklearn")
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()

    import sklearn
    rows = []
    header = ("| image | size | K | kmq MSE | sklearn MSE | kmq/sklearn | kmq s | sklearn s | kmq iters | sklearn iters |\n"
              "|---|---|---|---|---|---|---|---|---|---|")
    print(header, flush=True)
    lines = [header]
    for path in args.images:
        pixels, width, height = rgb_pixels(path)
        for k in [int(v) for v in args.k.split(",")]:
            report, kmq_seconds = run_kmq(args.kmq, path, k, args.seed)
            sk_mse, sk_seconds, sk_iters = run_sklearn(pixels, k, args.seed)
            row = {"image": os.path.basename(path), "width": width, "height": height, "k": k,
                   "kmq_mse": report["mse"], "sklearn_mse": sk_mse, "ratio": report["mse"] / sk_mse,
                   "kmq_seconds": kmq_seconds, "sklearn_seconds": sk_seconds,
                   "kmq_iterations": report["iterations"], "sklearn_iterations": int(sk_iters)}
            rows.append(row)
            line = (f"| {row['image']} | {width}x{height} | {k} | {row['kmq_mse']:.2f} | {sk_mse:.2f} | "
                    f"{row['ratio']:.3f} | {kmq_seconds:.2f} | {sk_seconds:.2f} | {row['kmq_iterations']} | {sk_iters} |")
            print(line, flush=True)
            lines.append(line)
    machine = f"Machine: {cpu_name()}, {os.cpu_count()} hardware threads; scikit-learn {sklearn.__version__}; {time.strftime('%Y-%m-%d')}."
    with open(args.out + ".md", "w") as md:
        md.write("# kmq vs scikit-learn KMeans: error at the same K\n\n" + machine + "\n\n")
        md.write("kmq: default settings (k-means++, tol 1e-4, max-iter 100, seed 0), times include decode and PNG encode. "
                 "scikit-learn: KMeans(init='k-means++', n_init=1, max_iter=300, random_state=0) on every pixel, "
                 "fit time only. MSE per RGB channel with centres rounded to bytes; kmq/sklearn < 1 means kmq fits better.\n\n")
        md.write("\n".join(lines) + "\n")
    with open(args.out + ".json", "w") as js:
        json.dump({"machine": machine, "rows": rows}, js, indent=2)


if __name__ == "__main__":
    main()
