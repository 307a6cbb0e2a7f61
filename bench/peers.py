#!/usr/bin/env python3
"""kmq against its peers, file to file (bench/peers.sh runs this).

- kmq: `kmq compress IN -o OUT -k K` with defaults (--restarts auto), and,
  where auto chose more than one, also `--restarts 1` (one seeding, as
  scikit-learn and OpenCV run):
  the whole process.
- pngquant: `pngquant K --nofs` (default speed, no dithering): the whole process.
  pngquant reads only PNG: for a JPEG input it gets that JPEG decoded by Pillow
  and saved as PNG (its decode of a PNG is then in its time, not the JPEG's).
- ImageMagick: `convert IN +dither -colors K OUT.png` (Debian's, not a
  stand-in): the whole process. pngquant, ImageMagick and FAISS run with
  OMP_WAIT_POLICY=PASSIVE unless --omp-active: on a shared machine OpenMP's
  spinning threads would otherwise triple their times.
- scikit-learn KMeans (k-means++, n_init=1, max_iter=300), OpenCV cv2.kmeans
  (KMEANS_PP_CENTERS, attempts=1, 300 iterations or eps 1e-4) and FAISS
  faiss.Kmeans (its defaults: random initial centres, 25 iterations, one run;
  on every pixel, where by default it samples 256 a centroid; labels from its
  index): the clustering call alone, on every pixel's RGB as float32; they
  write a PNG of the rounded centres so their MSE is measured as everyone's.

--graphics: icons and graphics with alpha instead of photos (Adwaita's and
Chromium's icons at 48-512 px, a symbolic icon, the quality set's two sprites
with a soft alpha edge), file-to-file tools only: scikit-learn, OpenCV and
FAISS are given RGB here, so they are left out.

MSE: per RGB channel, of the written file decoded by Pillow against the input
decoded by Pillow; for an image with alpha (--graphics) over the premultiplied
channels and alpha, as compare_peers.py measures it (what a viewer sees).
Time: the lowest of R runs' wall time (R=5 below 1 MP, 3 below 3 MP, else
1; always 1 for scikit-learn and OpenCV); CPU: user+sys seconds of that run (pngquant and ImageMagick
use OpenMP, whose threads spin while they wait: on a loaded machine their wall
time suffers most, so compare CPU seconds there too); peak memory: GNU time's
maximum resident set size of the process (for the
Python peers the whole interpreter with its libraries). A run longer than the cap
is killed and recorded as timed out; that tool and K then skip larger images.
"""
import argparse
import csv
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers_report  # noqa: E402
import quality_set  # noqa: E402
from compare_peers import error_of, has_alpha, load_rgba  # noqa: E402
from machine_info import machine_line  # noqa: E402
from peer_kmeans import faiss_kmeans, opencv_kmeans, sklearn_kmeans  # noqa: E402

SIZES_MP = [0.25, 1, 2, 8.3, 14.7, 33]
QUICK_SIZES_MP = [0.25, 8.3]
IMAGEMAGICK = "/usr/bin/convert-im6.q16"
# The Python peers, timed inside their process (the clustering call): one run
# each, seconds to minutes, so not noise-bound.
SLOW_TOOLS = ("scikit-learn", "OpenCV", "FAISS")
# Built with OpenMP (libgomp): by default their idle threads spin, which on a
# shared, loaded machine costs them several times their work (pngquant on
# 0.25 MP: 0.9 s wall, 0.25 s CPU spinning against 0.27 s, 0.07 s passive).
OPENMP_TOOLS = ("pngquant", "ImageMagick", "FAISS")


def size_for(megapixels):
    """16:9 like the source; 8.3 MP is exactly 3840x2160, 14.7 MP 5120x2880, 33 MP 7680x4320."""
    named = {8.3: (3840, 2160), 14.7: (5120, 2880), 33: (7680, 4320)}
    if megapixels in named:
        return named[megapixels]
    height = round(math.sqrt(megapixels * 1e6 * 9 / 16))
    return round(height * 16 / 9), height


def make_inputs(root, work, quick, small=False):
    """(name, path, png_path_for_pngquant, megapixels, series) for every input. small: the sub-megapixel
    ones only (volna at 0.25 MP and every sample under 1 MP), issue 13's third goal."""
    os.makedirs(work, exist_ok=True)
    source = Image.open(os.path.join(root, "sample_images", "volna-5120x2880.jpg")).convert("RGB")
    inputs = []
    for mp in [0.25] if small else QUICK_SIZES_MP if quick else SIZES_MP:
        width, height = size_for(mp)
        path = os.path.join(work, f"volna-{width}x{height}.png")
        if not os.path.exists(path):
            source.resize((width, height), Image.LANCZOS).save(path)
        inputs.append((os.path.basename(path), path, path, width * height / 1e6, "volna (PNG)"))
    if not small:
        jpeg = os.path.join(work, "volna-3840x2160-q90.jpg")
        if not os.path.exists(jpeg):
            source.resize((3840, 2160), Image.LANCZOS).save(jpeg, quality=90)
        inputs.append((os.path.basename(jpeg), jpeg, as_png(jpeg, work), 3840 * 2160 / 1e6, "volna 4K JPEG q90"))
    samples = ["fruits.jpg"] if quick else sorted(
        f for f in os.listdir(os.path.join(root, "sample_images")) if f.endswith((".png", ".jpg")))
    for name in samples:
        path = os.path.join(root, "sample_images", name)
        with Image.open(path) as im:
            mp = im.width * im.height / 1e6
        if small and mp >= 1:
            continue
        inputs.append((name, path, as_png(path, work) if name.endswith(".jpg") else path, mp, "sample"))
    return inputs


# (name, path): icons and graphics with alpha that Debian installs
# (adwaita-icon-theme, chromium); a missing one is skipped with a line.
GRAPHICS = [
    ("headset-48.png", "/usr/share/icons/Adwaita/48x48/devices/audio-headset.png"),
    ("trash-48.png", "/usr/share/icons/Adwaita/48x48/places/user-trash.png"),
    ("help-symbolic-96.png", "/usr/share/icons/Adwaita/96x96/apps/help-contents-symbolic.symbolic.png"),
    ("package-256.png", "/usr/share/icons/Adwaita/256x256/mimetypes/x-package-repository.png"),
    ("chromium-256.png", "/usr/share/icons/hicolor/256x256/apps/chromium.png"),
    ("headset-512.png", "/usr/share/icons/Adwaita/512x512/devices/audio-headset.png"),
    ("camera-512.png", "/usr/share/icons/Adwaita/512x512/devices/camera-web.png"),
    ("server-512.png", "/usr/share/icons/Adwaita/512x512/places/network-server.png"),
]


def make_graphics_inputs(root, work):
    """The --graphics inputs: the icons above and the quality set's sprites (256 and 1080 px)."""
    os.makedirs(work, exist_ok=True)
    inputs = []
    for name, path in GRAPHICS:
        if not os.path.exists(path):
            print(f"peers: skipping {name}: {path} is not installed", file=sys.stderr)
            continue
        with Image.open(path) as im:
            inputs.append((name, path, path, im.width * im.height / 1e6, "icon"))
    for name, make in (("sprite-256.png", lambda: quality_set.sprite(quality_set.sample("astronaut.png"))),
                       ("sprite-1080.png", lambda: quality_set.sprite(
                           quality_set.sample("volna-5120x2880.jpg").resize((1920, 1080), Image.LANCZOS), 1080))):
        path = os.path.join(work, name)
        if not os.path.exists(path):
            make().save(path)
        with Image.open(path) as im:
            inputs.append((name, path, path, im.width * im.height / 1e6, "sprite"))
    return inputs


def as_png(path, work):
    out = os.path.join(work, os.path.splitext(os.path.basename(path))[0] + "-as.png")
    if not os.path.exists(out):
        Image.open(path).convert("RGB").save(out)
    return out


def rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.int32)


def mse(reference, path):
    return float(((rgb(path) - reference) ** 2).mean())


def run_measured(command, cap, env=None):
    """(wall seconds, peak RSS in MB, stdout, user+sys CPU seconds) or None when killed at the cap."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as rusage:
        started = time.perf_counter()
        # Its own process group, so that the cap stops GNU time's child too.
        process = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", rusage.name] + command,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                   start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=cap)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return None
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {stderr.strip()[-400:]}")
        peak_kb, user, system = rusage.read().strip().splitlines()[-1].split()
    return seconds, int(peak_kb) / 1024.0, stdout, float(user) + float(system)


def tools(kmq, baseline):
    found, missing = [], []
    if baseline:
        found.append(("kmq baseline", lambda i, o, k: [baseline, "compress", i, "-o", o, "-k", str(k), "--force",
                                                       "--json"]))
    found.append(("kmq", lambda i, o, k: [kmq, "compress", i, "-o", o, "-k", str(k), "--force", "--json"]))
    found.append(("kmq 1 seeding", lambda i, o, k: [kmq, "compress", i, "-o", o, "-k", str(k), "--force", "--json",
                                                    "--restarts", "1"]))
    if shutil.which("pngquant"):
        found.append(("pngquant", lambda i, o, k: ["pngquant", str(k), "--nofs", "--force", "--output", o, i]))
    else:
        missing.append("pngquant: not installed (apt install pngquant)")
    if os.path.exists(IMAGEMAGICK):
        found.append(("ImageMagick", lambda i, o, k: [IMAGEMAGICK, i, "+dither", "-colors", str(k), o]))
    else:
        missing.append(f"ImageMagick: {IMAGEMAGICK} missing (apt install imagemagick)")
    me = os.path.abspath(__file__)
    for name, module in (("scikit-learn", "sklearn"), ("OpenCV", "cv2"), ("FAISS", "faiss")):
        if subprocess.run(["/usr/bin/python3", "-c", f"import {module}"], capture_output=True).returncode == 0:
            found.append((name, lambda i, o, k, n=name: ["/usr/bin/python3", me, "--cluster", n, i, o, str(k)]))
        else:
            missing.append(f"{name}: python3 cannot import {module}")
    return found, missing


def cluster_only(name, path, out, k):
    """The Python peers: clustering time only, printed as JSON; the image written for its MSE."""
    pixels = rgb(path).astype(np.float32)
    shape = pixels.shape
    data = pixels.reshape(-1, 3)
    started = time.perf_counter()
    if name == "scikit-learn":
        centres, labels, iterations = sklearn_kmeans(data, k, 0)
    elif name == "FAISS":
        centres, labels, iterations = faiss_kmeans(data, k, 0)
    else:
        centres, labels, iterations = opencv_kmeans(data, k, 0)
    seconds = time.perf_counter() - started
    palette = np.clip(np.rint(centres), 0, 255).astype(np.uint8)
    Image.fromarray(palette[labels].reshape(shape)).save(out)
    print(json.dumps({"seconds": seconds, "iterations": iterations}))


def machine(load_before, described):
    """described: machine_line() taken before the run wrote anything (the source tree is clean then)."""
    load_after = os.getloadavg()
    versions = []
    for name, command in (("pngquant ", ["pngquant", "--version"]), ("", [IMAGEMAGICK, "-version"])):
        try:
            versions.append(name + subprocess.run(command, capture_output=True, text=True).stdout.splitlines()[0].strip())
        except (OSError, IndexError):
            pass
    return (f"{described}; load average "
            f"{load_before[0]:.2f} before, {load_after[0]:.2f} after (1 min); " + "; ".join(versions))


def output_name(args):
    """The files' name before .md, .csv and .svg: peers, peers-quick, peers-small or peers-graphics."""
    stem = "peers-graphics" if args.graphics else "peers-small" if args.small else "peers-quick" if args.quick else "peers"
    return stem + ("-omp-active" if args.omp_active else "")


def write_results(rows, args, cap, missing, load_before):
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, output_name(args))
    described = machine(load_before, args.described)
    with open(stem + ".csv", "w", newline="") as f:
        fields = ["image", "series", "megapixels", "k", "tool", "status", "seconds", "cpu_seconds", "peak_mb", "mse",
                  "bytes"]
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: (f"{row[key]:.4f}" if isinstance(row.get(key), float) else row.get(key, ""))
                             for key in fields})
    # Every option that changes what is measured (the baseline's path shortened: a local build).
    command = "bench/peers.sh" + (" --graphics" if args.graphics else "") + (" --small" if args.small else "") + (" --quick" if args.quick else "") + \
        (" --omp-active" if args.omp_active else "") + (f" --k {args.k}" if args.k else "") + \
        (f" --cap {args.cap:g}" if args.cap else "") + (" --baseline OLDER_KMQ" if args.baseline else "")
    with open(stem + ".md", "w") as f:
        f.write(peers_report.markdown(rows, described, missing, cap, command, __doc__))
    with open(stem + ".svg", "w") as f:
        f.write(peers_report.graphics_svg(rows, described) if args.graphics else peers_report.svg(rows, described))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few inputs, K 16 and 256, 20 s cap")
    parser.add_argument("--small", action="store_true",
                        help="the sub-megapixel inputs only: volna at 0.25 MP and the samples under 1 MP, K 16 and 64")
    parser.add_argument("--graphics", action="store_true",
                        help="icons and graphics with alpha instead of photos, file-to-file tools only, 20 s cap")
    parser.add_argument("--kmq", default=None, help="the kmq to measure (default: build/kmq of this source tree)")
    parser.add_argument("--baseline", help="an older kmq, run beside --kmq in the same run (before/after)")
    parser.add_argument("--k", default=None, help="comma-separated (default 16,64,256; --quick 16,256)")
    parser.add_argument("--cap", type=float, default=None, help="seconds a run may take (default 120; --quick and --small 20)")
    parser.add_argument("--out", default=None, help="where the tables go (default: results/peers of this source tree)")
    parser.add_argument("--work", default="/tmp/kmq-peers", help="where the generated inputs are kept")
    parser.add_argument("--omp-active", action="store_true",
                        help="leave pngquant's and ImageMagick's OpenMP threads spinning (libgomp's default); "
                             "without it they run with OMP_WAIT_POLICY=PASSIVE")
    parser.add_argument("--cluster", nargs=4, metavar=("TOOL", "IN", "OUT", "K"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cluster:
        return cluster_only(args.cluster[0], args.cluster[1], args.cluster[2], int(args.cluster[3]))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ks = [int(k) for k in (args.k or ("16,64" if args.small else "16,256" if args.quick else "16,64,256")).split(",")]
    cap = args.cap or (20.0 if args.quick or args.small or args.graphics else 120.0)
    kmq = os.path.abspath(args.kmq or os.path.join(root, "build", "kmq"))
    if not os.access(kmq, os.X_OK):
        parser.error(f"{kmq} is not an executable kmq: build it (cmake --build build --target kmq) or name one with --kmq")
    args.out = args.out or os.path.join(root, "results", "peers")
    load_before = os.getloadavg()
    args.described = machine_line(f"{platform.system()} {platform.release()}")
    peer_env = dict(os.environ)
    if not args.omp_active:
        peer_env["OMP_WAIT_POLICY"] = "PASSIVE"
    found, missing = tools(kmq, os.path.abspath(args.baseline) if args.baseline else None)
    if args.graphics:
        found = [(tool, command) for tool, command in found if tool not in SLOW_TOOLS]
        missing.append("scikit-learn, OpenCV and FAISS: --graphics (they are given RGB)")
    for line in missing:
        print(f"peers: skipping {line}", file=sys.stderr)
    inputs = make_graphics_inputs(root, args.work) if args.graphics else make_inputs(root, args.work, args.quick, args.small)
    rows, timed_out = [], set()
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, png_path, mp, series in inputs:
            if args.graphics:
                reference = load_rgba(path)
                alpha = has_alpha(reference)
                error = lambda out: error_of(reference, out, alpha)  # noqa: E731
            else:
                reference = rgb(path)
                error = lambda out: mse(reference, out)  # noqa: E731
            for k in ks:
                for tool, command_for in found:
                    if tool == "kmq 1 seeding" and any(
                            r["image"] == name and r["k"] == k and r["tool"] == "kmq" and r.get("restarts") == 1
                            for r in rows):
                        continue  # auto chose one seeding: the same run as kmq's
                    row = {"image": name, "series": series, "megapixels": round(mp, 3), "k": k, "tool": tool}
                    if (tool, k, series) in timed_out:
                        row["status"] = "skipped (a smaller image timed out)"
                    else:
                        source = png_path if tool == "pngquant" else path
                        out = os.path.join(tmp, "out.png")
                        best = None
                        for _ in range(1 if tool in SLOW_TOOLS else 5 if mp < 1 else 3 if mp < 3 else 1):
                            if os.path.exists(out):
                                os.remove(out)
                            measured = run_measured(command_for(source, out, k), cap,
                                                    peer_env if tool in OPENMP_TOOLS else None)
                            if measured is None:
                                best = None
                                break
                            if best is None or measured[0] < best[0]:
                                best = measured
                        if best is None:
                            row["status"] = f"timed out (> {cap:g} s)"
                            timed_out.add((tool, k, series))
                        else:
                            seconds, peak, stdout, cpu = best
                            row.update(status="ok", seconds=seconds, peak_mb=peak, cpu_seconds=cpu,
                                       mse=error(out),
                                       bytes=os.path.getsize(out))
                            if tool.startswith("kmq"):  # kmq, kmq 1 seeding, kmq baseline
                                report = json.loads(stdout)
                                row["stages"] = report["seconds"]
                                row["kmq_mse"] = report.get("mse")
                                row["restarts"] = report.get("restarts")
                            elif tool in SLOW_TOOLS:
                                row["seconds"] = json.loads(stdout)["seconds"]
                    rows.append(row)
                    shown = f"{row['seconds']:.3f} s, {row['peak_mb']:.0f} MB, MSE {row['mse']:.2f}" \
                        if row["status"] == "ok" else row["status"]
                    print(f"{name} K={k} {tool}: {shown}", flush=True)
                # After every case, so a run stopped midway still leaves its table.
                write_results(rows, args, cap, missing, load_before)
    print(f"peers: wrote {output_name(args)}.md, .csv and .svg into {args.out}")


if __name__ == "__main__":
    main()
