#!/usr/bin/env python3
"""`--space oklab` against `--space rgb` and pngquant: perceptual error and MSE of each written file.

For every opaque image of the benchmark set (bench/quality_set.py) and every K
(default 16 and 64), three palette PNGs, no dithering:
- kmq `compress -k K` (rgb, the default),
- kmq `compress -k K --space oklab`,
- pngquant `K --nofs` (default speed),
and from each written file, against the input, here and the same way for all:
- mean ΔE_ok: the mean over pixels of the Euclidean distance in OKLab
  (Ottosson 2020; float64, sRGB decoded exactly), the perceptual measure;
- MSE per RGB channel (0..255 scale);
- SSIM of BT.601 luma (0.299 R + 0.587 G + 0.114 B), scikit-image's
  structural_similarity with its defaults (7x7 uniform windows, data range
  255): a second perceptual measure, from a library rather than from kmq.
Images with alpha are skipped (`--space oklab` clusters them in rgb).

    /usr/bin/python3 bench/oklab_peers.py --kmq build/kmq --out results/quality_oklab IMAGE.png...

Writes OUT.md (the table, machine named) and OUT.csv.
"""
import argparse
import csv
import os
import subprocess
import tempfile
import time

import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity

from machine_info import machine_line  # the one machine name of every table

M1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
               [0.2119034982, 0.6806995451, 0.1073969566],
               [0.0883024619, 0.2817188376, 0.6299787005]])
M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
               [1.9779984951, -2.4285922050, 0.4505937099],
               [0.0259040371, 0.7827717662, -0.8086757660]])


def oklab(rgb8):
    s = rgb8 / 255.0
    linear = np.where(s <= 0.04045, s / 12.92, ((s + 0.055) / 1.055) ** 2.4)
    return np.cbrt(linear @ M1.T) @ M2.T


def load(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("RGBA"), dtype=np.float64)


def luma(rgba):
    return rgba[..., :3] @ np.array([0.299, 0.587, 0.114])


def errors(reference, written):
    out = load(written)
    ref, got = reference.reshape(-1, 4), out.reshape(-1, 4)
    mse = float(np.mean((ref[:, :3] - got[:, :3]) ** 2))
    delta_e = float(np.mean(np.linalg.norm(oklab(ref[:, :3]) - oklab(got[:, :3]), axis=1)))
    ssim = float(structural_similarity(luma(reference), luma(out), data_range=255.0))
    return mse, delta_e, ssim


def run(command, out, reference):
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 99) or not os.path.exists(out):  # pngquant: 99 = quality not reached
        raise SystemExit(f"oklab_peers.py: {' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[:200]}")
    mse, delta_e, ssim = errors(reference, out)
    return {"mse": mse, "delta_e": delta_e, "ssim": ssim, "seconds": seconds}


TOOLS = ["kmq_rgb", "kmq_oklab", "pngquant"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kmq", required=True)
    parser.add_argument("--k", default="16,64")
    parser.add_argument("--out", required=True, help="output prefix (.md and .csv are added)")
    parser.add_argument("--label", default="")
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()
    ks = [int(k) for k in args.k.split(",")]
    rows, skipped = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.images:
            reference = load(path)
            name = os.path.basename(path)
            if (reference[..., 3] < 255).any():
                skipped.append(name)
                continue
            for k in ks:
                out = os.path.join(tmp, "out.png")
                row = {"image": name, "k": k}
                kmq = [args.kmq, "compress", path, "-o", out, "-k", str(k), "--force", "-q"]
                row["kmq_rgb"] = run(kmq, out, reference)
                row["kmq_oklab"] = run(kmq + ["--space", "oklab"], out, reference)
                row["pngquant"] = run(["pngquant", str(k), "--nofs", "--force", "--output", out, path], out, reference)
                rows.append(row)
                print(name, k, {t: round(row[t]["delta_e"], 5) for t in TOOLS}, flush=True)

    with open(args.out + ".csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "k"] + [f"{t}_{m}" for t in TOOLS for m in ("delta_e_ok", "mse", "ssim", "seconds")])
        for row in rows:
            writer.writerow([row["image"], row["k"]] +
                            [f"{row[t][m]:.6g}" for t in TOOLS for m in ("delta_e", "mse", "ssim", "seconds")])

    machine = f"Machine: {machine_line()}"
    if args.label:
        machine += f"; kmq {args.label}"
    machine += "; " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = ["# `--space oklab` against rgb and pngquant `--nofs`", "",
             machine + ".", "",
             "Mean ΔE_ok (OKLab distance, mean over pixels; lower is better) and MSE per RGB channel, each "
             "computed from the written file against the input by bench/oklab_peers.py. "
             "Δ MSE: oklab's MSE against rgb's. SSIM: of BT.601 luma, scikit-image's structural_similarity "
             "(7x7 windows; higher is better). Bold: the lowest ΔE_ok and the highest SSIM of the row.", "",
             "| image | K | ΔE_ok rgb | ΔE_ok oklab | ΔE_ok pngquant | oklab vs pngquant | MSE rgb | MSE oklab | Δ MSE | "
             "MSE pngquant | SSIM rgb | SSIM oklab | SSIM pngquant |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    wins = ssim_wins = 0
    for row in rows:
        de = {t: row[t]["delta_e"] for t in TOOLS}
        best = min(de.values())
        cells = [f"**{de[t]:.5f}**" if de[t] == best else f"{de[t]:.5f}" for t in TOOLS]
        versus = de["kmq_oklab"] / de["pngquant"] - 1.0
        wins += de["kmq_oklab"] < de["pngquant"]
        mse_cost = row["kmq_oklab"]["mse"] / row["kmq_rgb"]["mse"] - 1.0
        ssim = {t: row[t]["ssim"] for t in TOOLS}
        ssim_wins += ssim["kmq_oklab"] >= ssim["pngquant"]
        top = max(f"{v:.4f}" for v in ssim.values())
        ssim_cells = [f"**{ssim[t]:.4f}**" if f"{ssim[t]:.4f}" == top else f"{ssim[t]:.4f}" for t in TOOLS]
        lines.append(f"| {row['image']} | {row['k']} | " + " | ".join(cells) + f" | {versus:+.1%} | "
                     f"{row['kmq_rgb']['mse']:.2f} | {row['kmq_oklab']['mse']:.2f} | {mse_cost:+.1%} | "
                     f"{row['pngquant']['mse']:.2f} | " + " | ".join(ssim_cells) + " |")
    costs = sorted(r["kmq_oklab"]["mse"] / r["kmq_rgb"]["mse"] - 1.0 for r in rows)
    gains = sorted(r["kmq_oklab"]["delta_e"] / r["kmq_rgb"]["delta_e"] - 1.0 for r in rows)
    lines += ["", f"oklab has a lower ΔE_ok than pngquant in {wins} of {len(rows)} rows, and an SSIM at or "
              f"above pngquant's in {ssim_wins}. "
              f"Against kmq rgb: ΔE_ok {gains[len(gains) // 2]:+.1%} (median; {gains[0]:+.1%} to {gains[-1]:+.1%}), "
              f"MSE {costs[len(costs) // 2]:+.1%} (median; {costs[0]:+.1%} to {costs[-1]:+.1%})."]
    if skipped:
        lines += ["", "Skipped (alpha; `--space oklab` clusters them in rgb): " + ", ".join(skipped) + "."]
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
