#!/usr/bin/env python3
"""kmq against scikit-learn, OpenCV, FAISS and pngquant at the same K: the error of each written file.

Every tool gets the same PNG file and writes a palette PNG; every error is
computed the same way, here, from that written file against the input:

- opaque images: MSE per RGB channel (error space "rgb");
- images with alpha: the composited error a viewer sees, MSE over the
  premultiplied channels R*A, G*A, B*A (scaled back to 0..255) and A
  (error space "premultiplied_rgba").

Tools (all at K colours, no dithering):
- kmq: `kmq compress -k K` with its defaults (seedings: auto), and again with
  `--restarts 1` (one seeding, as scikit-learn n_init=1 and OpenCV attempts=1);
- scikit-learn KMeans(k-means++, n_init=1) and with its default n_init
  (10 in scikit-learn 1.2), on every pixel;
- OpenCV cv2.kmeans (KMEANS_PP_CENTERS, attempts=1, up to 300 iterations,
  epsilon 1e-4), on every pixel;
- FAISS faiss.Kmeans with its defaults (random initial centres, one run,
  25 iterations: it has no convergence test; --faiss-iterations), on every
  pixel (by default it trains on a sample of 256 pixels a centroid);
- pngquant `K --nofs` (default speed).
scikit-learn, OpenCV and FAISS cluster RGB, or premultiplied RGBA for images
with alpha (their centres turned back into straight RGBA for the palette);
their palettes are written with Pillow. A peer that runs past --cap seconds is
killed and recorded as "timed out". Times are whole runs for kmq and pngquant
and clustering only for scikit-learn, OpenCV and FAISS.

    /usr/bin/python3 bench/compare_peers.py --kmq build/kmq --k 16,64,256 \\
        --out results/quality IMAGE.png...

--reuse FILE.json takes the peers' rows from an earlier run (they are seeded
and deterministic) and runs only kmq: the before/after comparison of a change
(a peer's run on an image with alpha runs again where that file lacks what the
run did to alpha 0 and 255).
Needs Debian's python3-sklearn, python3-opencv, python3-faiss, python3-pil and
pngquant (scripts/install-deps.sh --bench); a peer whose module is missing is
left out with a line saying so.
"""
import argparse
import csv
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
from PIL import Image

from machine_info import machine_line
import quality_plot
from peer_kmeans import faiss_kmeans, opencv_kmeans, sklearn_kmeans

TIE = 0.001  # relative: within 0.1 % of the best counts as a tie


def load_rgba(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("RGBA"), dtype=np.float64).reshape(-1, 4)


def has_alpha(rgba):
    return bool((rgba[:, 3] < 255).any())


def error_of(reference, written_path, alpha):
    """The one error formula for every tool."""
    out = load_rgba(written_path)
    if out.shape != reference.shape:
        raise ValueError(f"{written_path}: size differs from the input")
    if not alpha:
        return float(((out[:, :3] - reference[:, :3]) ** 2).mean())
    premul = lambda p: np.concatenate([p[:, :3] * p[:, 3:4] / 255.0, p[:, 3:4]], axis=1)
    return float(((premul(out) - premul(reference)) ** 2).mean())


def alpha_changed(reference, written_path):
    """Pixels fully transparent or fully opaque in the input whose alpha the output changed
    (kmq keeps alpha 0 and 255 exact; a peer that does not is marked in the table)."""
    out = load_rgba(written_path)
    kept_kind = (reference[:, 3] == 0) | (reference[:, 3] == 255)
    return int((kept_kind & (out[:, 3] != reference[:, 3])).sum())


def measured(reference, out, alpha):
    """The row entry of a written file: its error, and for an image with alpha what it did to alpha 0 and 255."""
    entry = {"status": "ok", "mse": error_of(reference, out, alpha)}
    if alpha:
        entry["alpha_changed"] = alpha_changed(reference, out)
    return entry


def write_palette_png(path, labels, centres, width, height, alpha):
    """Centres (RGB, or premultiplied RGBA) rounded to bytes, as an indexed PNG."""
    centres = np.asarray(centres, dtype=np.float64)
    if alpha:
        a = np.clip(np.rint(centres[:, 3]), 0, 255)
        rgb = np.where(a[:, None] > 0, centres[:, :3] * 255.0 / np.maximum(a[:, None], 1), 0)
        palette = np.concatenate([np.clip(np.rint(rgb), 0, 255), a[:, None]], axis=1).astype(np.uint8)
    else:
        palette = np.clip(np.rint(centres), 0, 255).astype(np.uint8)
    pixels = palette[np.asarray(labels).reshape(-1)].reshape(height, width, palette.shape[1])
    Image.fromarray(pixels, "RGBA" if alpha else "RGB").save(path)


def cluster_points(rgba, alpha):
    if not alpha:
        return np.ascontiguousarray(rgba[:, :3])
    return np.ascontiguousarray(np.concatenate([rgba[:, :3] * rgba[:, 3:4] / 255.0, rgba[:, 3:4]], axis=1))


def peer_worker(fit, fit_args, refused, result):
    """One peer's clustering (a peer_kmeans function) in the child process. An
    exception of the `refused` types (FAISS: RuntimeError, e.g. fewer pixels
    than K) is the row's status; any other fails the child."""
    started = time.perf_counter()
    try:
        centres, labels, _ = fit(*fit_args)
    except refused as failure:
        result.update(error=str(failure).strip().splitlines()[-1][:200])
        return
    result.update(seconds=time.perf_counter() - started, labels=labels, centres=centres)


def run_capped(name, target, args, cap):
    """Runs target(*args, result) in a child process; None when it passes the cap."""
    with multiprocessing.Manager() as manager:
        result = manager.dict()
        child = multiprocessing.get_context("fork").Process(target=target, args=(*args, result))
        child.start()
        child.join(cap)
        if child.is_alive():
            child.kill()
            child.join()
            return None
        if child.exitcode != 0:
            raise RuntimeError(f"{name} failed (exit {child.exitcode})")
        return dict(result)


def run_clusterer(name, fit, fit_args, cap, reference, width, height, alpha, tmp, refused=()):
    done = run_capped(name, peer_worker, (fit, fit_args, refused), cap)
    if done is None:
        return {"status": "timed out", "cap_seconds": cap}
    if "error" in done:
        return {"status": f"failed: {done['error']}"}
    out = os.path.join(tmp, name + ".png")
    write_palette_png(out, done["labels"], done["centres"], width, height, alpha)
    return {**measured(reference, out, alpha), "seconds": done["seconds"]}


def run_command(name, command, out, reference, alpha):
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 99) or not os.path.exists(out):  # pngquant: 99 = quality not reached
        return {"status": f"failed ({done.returncode}): {done.stderr.strip()[:200]}"}
    return {**measured(reference, out, alpha), "seconds": seconds, "bytes": os.path.getsize(out)}


def run_kmq(binary, path, k, seed, restarts, reference, alpha, tmp):
    out = os.path.join(tmp, f"kmq-{restarts}.png")
    command = [binary, "compress", path, "-o", out, "-k", str(k), "--seed", str(seed), "--force", "-q"]
    if restarts != "auto":
        command += ["--restarts", restarts]
    return run_command("kmq", command, out, reference, alpha)


TOOLS = ["kmq", "kmq_1seed", "sklearn_n1", "sklearn_default", "opencv", "faiss", "pngquant"]
PEERS = TOOLS[2:]


def fmt_mse(entry):
    if entry is None:
        return "–"
    if entry.get("status") != "ok":
        return entry.get("status", "–")
    return f"{entry['mse']:.3f}" + (" †" if entry.get("alpha_changed", 0) > 0 else "")


def keeps_alpha(entry):
    """Whether a tool's output kept alpha 0 and 255 exact (always true of an opaque image)."""
    return entry.get("alpha_changed", 0) == 0


def best_peer(row, alpha_kept=False):
    """The lowest MSE of the peers (with alpha_kept: of those that keep alpha 0 and 255) and who."""
    done = [(row[p]["mse"], p) for p in PEERS
            if p in row and row[p].get("status") == "ok" and (not alpha_kept or keeps_alpha(row[p]))]
    return min(done) if done else (None, None)


def margin(row, tool, alpha_kept=False):
    best, _ = best_peer(row, alpha_kept)
    if best is None or row.get(tool, {}).get("status") != "ok":
        return None
    if best == 0:
        return 0.0 if row[tool]["mse"] == 0 else float("inf")
    return 100.0 * (row[tool]["mse"] - best) / best


def table(rows):
    head = ("| image | size | error space | K | kmq | kmq 1 seeding | sklearn n_init=1 | sklearn default | OpenCV | "
            "FAISS | pngquant | best peer | kmq vs best peer | kmq s | pngquant s |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        best, who = best_peer(row)
        m = margin(row, "kmq")
        verdict = "–" if m is None else (f"{m:+.2f} %" + (" (tie)" if abs(m) <= 100 * TIE else ""))
        secs = lambda t: f"{row[t]['seconds']:.2f}" if row.get(t, {}).get("status") == "ok" else "–"
        lines.append(f"| {row['image']} | {row['width']}x{row['height']} | {row['error_space']} | {row['k']} | "
                     + " | ".join(fmt_mse(row.get(t)) for t in TOOLS)
                     + f" | {who or '–'} | {verdict} | {secs('kmq')} | {secs('pngquant')} |")
    wins = [margin(r, "kmq") for r in rows if margin(r, "kmq") is not None]
    summary = (f"kmq (defaults) at or below the best peer (0.1 % tie tolerance) in "
               f"{sum(m <= 100 * TIE for m in wins)} of {len(wins)} rows; strictly lowest in "
               f"{sum(m < 0 for m in wins)}.")
    alpha_rows = [r for r in rows if r["error_space"] == "premultiplied_rgba"]
    if alpha_rows:
        kept = [margin(r, "kmq", alpha_kept=True) for r in alpha_rows]
        judged = [m for m in kept if m is not None]
        summary += (f"\n\n† (rows with alpha): that output changes the alpha of pixels that are fully transparent or"
                    f" fully opaque in the input. kmq keeps alpha 0 and 255 exact (issue 15, goal 2), and its error"
                    f" includes what that costs. In {len(kept) - len(judged)} of {len(alpha_rows)} rows with alpha"
                    f" every peer's output changes them"
                    + (f"; in the other {len(judged)}, kmq is at or below the best peer that keeps them in"
                       f" {sum(m <= 100 * TIE for m in judged)}." if judged else "."))
    return lines, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kmq", default="build/kmq")
    parser.add_argument("--k", default="16,64,256")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cap", type=float, default=60.0, help="seconds a scikit-learn/OpenCV/FAISS run may take")
    parser.add_argument("--faiss-iterations", type=int, default=25, help="FAISS's niter (its default: 25)")
    parser.add_argument("--skip", default="", help="comma-separated tools to leave out (e.g. sklearn_default)")
    parser.add_argument("--reuse", help="peers' rows from this earlier JSON; only kmq runs")
    parser.add_argument("--label", default="", help="what this kmq is (e.g. a commit), written into the table")
    parser.add_argument("--out", default="results/quality")
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if shutil.which("pngquant") is None:
        print("pngquant not found: skipped")
        skip.add("pngquant")
    if "faiss" not in skip and subprocess.run(["/usr/bin/python3", "-c", "import faiss"],
                                              capture_output=True).returncode != 0:
        print("python3 cannot import faiss (apt install python3-faiss): FAISS skipped")
        skip.add("faiss")
    reused = {}
    args.reused_from = ""
    if args.reuse:
        with open(args.reuse) as js:
            earlier = json.load(js)
        for row in earlier["rows"]:
            reused[(row["image"], row["k"])] = row
        args.reused_from = f" The peers' results come from {os.path.basename(args.reuse)}: {earlier['machine']}"

    rows = []
    for path in args.images:
        reference = load_rgba(path)
        alpha = has_alpha(reference)
        with Image.open(path) as image:
            width, height = image.size
        points = cluster_points(reference, alpha)
        for k in [int(v) for v in args.k.split(",")]:
            row = {"image": os.path.basename(path), "width": width, "height": height, "k": k,
                   "error_space": "premultiplied_rgba" if alpha else "rgb"}
            with tempfile.TemporaryDirectory() as tmp:
                row["kmq"] = run_kmq(args.kmq, path, k, args.seed, "auto", reference, alpha, tmp)
                row["kmq_1seed"] = run_kmq(args.kmq, path, k, args.seed, "1", reference, alpha, tmp)
                old = reused.get((row["image"], k))
                for peer in PEERS:
                    if peer in skip:
                        continue
                    if old is not None and peer in old and (
                            not alpha or old[peer].get("status") != "ok" or "alpha_changed" in old[peer]) and (
                            peer != "faiss" or old[peer].get("iterations") == args.faiss_iterations):
                        row[peer] = old[peer]
                    elif peer == "sklearn_n1":
                        row[peer] = run_clusterer(peer, sklearn_kmeans, (points, k, args.seed, 1), args.cap,
                                                  reference, width, height, alpha, tmp)
                    elif peer == "sklearn_default":
                        row[peer] = run_clusterer(peer, sklearn_kmeans, (points, k, args.seed, 10), args.cap,
                                                  reference, width, height, alpha, tmp)
                    elif peer == "opencv":
                        row[peer] = run_clusterer(peer, opencv_kmeans, (points, k, args.seed), args.cap,
                                                  reference, width, height, alpha, tmp)
                    elif peer == "faiss":
                        row[peer] = run_clusterer(peer, faiss_kmeans, (points, k, args.seed, args.faiss_iterations),
                                                  args.cap, reference, width, height, alpha, tmp, RuntimeError)
                        row[peer]["iterations"] = args.faiss_iterations
                    elif peer == "pngquant":
                        out = os.path.join(tmp, "pngquant.png")
                        row[peer] = run_command(peer, ["pngquant", str(k), "--nofs", "--force", "--output", out, path],
                                                out, reference, alpha)
            rows.append(row)
            print(table([row])[0][-1], flush=True)
            write_results(args, skip, rows)

    write_results(args, skip, rows)
    print(table(rows)[1])


def write_results(args, skip, rows):
    """All three files, rewritten after every row: an interrupted run keeps what it measured."""
    import cv2
    import sklearn
    try:
        import faiss
        faiss_version = f"FAISS {faiss.__version__} ({args.faiss_iterations} iterations)"
    except ImportError:
        faiss_version = "no FAISS"
    pngquant = subprocess.run(["pngquant", "--version"], capture_output=True, text=True).stdout.strip() \
        if "pngquant" not in skip else "no pngquant"
    machine = (f"Machine: {machine_line()}; kmq {args.label}; "
               f"scikit-learn {sklearn.__version__}; OpenCV {cv2.__version__}; {faiss_version}; pngquant {pngquant}; "
               f"cap {args.cap:g} s per scikit-learn/OpenCV/FAISS run; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."
               + args.reused_from)
    left_out = f"Left out: {', '.join(sorted(skip))}.\n\n" if skip else ""
    lines, summary = table(rows)
    with open(args.out + ".md", "w") as md:
        md.write("# Quality: kmq against its peers at the same K (MSE of each written file)\n\n" + machine + "\n\n")
        md.write(__doc__.split("\n\n")[1] + "\n\n" + left_out + summary + "\n\n" + "\n".join(lines) + "\n")
    with open(args.out + ".csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["image", "width", "height", "error_space", "k"] + [f"{t}_mse" for t in TOOLS]
                        + ["best_peer", "kmq_vs_best_peer_percent", "kmq_seconds", "pngquant_seconds"]
                        + [f"{t}_alpha_changed" for t in TOOLS] + ["kmq_vs_best_alpha_keeping_peer_percent"])
        for row in rows:
            best, who = best_peer(row)
            m = margin(row, "kmq")
            kept = margin(row, "kmq", alpha_kept=True) if row["error_space"] == "premultiplied_rgba" else None
            writer.writerow([row["image"], row["width"], row["height"], row["error_space"], row["k"]]
                            + [row[t]["mse"] if row.get(t, {}).get("status") == "ok" else row.get(t, {}).get("status", "")
                               for t in TOOLS]
                            + [who or "", "" if m is None else f"{m:.3f}",
                               row["kmq"].get("seconds", ""), row.get("pngquant", {}).get("seconds", "")]
                            + [row.get(t, {}).get("alpha_changed", "") for t in TOOLS]
                            + ["" if kept is None else f"{kept:.3f}"])
    with open(args.out + ".json", "w") as js:
        json.dump({"machine": machine, "summary": summary, "rows": rows}, js, indent=2)
    quality_plot.write(args.out)

if __name__ == "__main__":
    main()
