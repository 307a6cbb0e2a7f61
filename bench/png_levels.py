#!/usr/bin/env python3
"""PNG size and encoding time per --png-level, from `kmq compress --json`.

For each image and K, kmq compresses at every level asked; the table gives the
output bytes, the encode stage's seconds (the lowest of --runs runs) and the
process's peak memory (GNU time's %M, the largest of the runs); the same as a
bar chart beside the table (OUT with .svg for .md). With
--baseline, an older kmq (e.g. the zlib encoder) is run the same way in the same
run, so the two columns compare on one machine under one load.

    /usr/bin/python3 bench/png_levels.py --kmq build/kmq --baseline OLD_KMQ \
        --levels 1,4,6,9,12 --k 16,64 --out results/png_levels.md sample_images/volna-5120x2880.jpg
"""
import argparse
import json
import os
import tempfile
import time

import bar_chart
from machine_info import machine_line
from measured_run import run_measured


def encode(kmq, image, k, level, runs, tmp, threads=None):
    """(bytes, lowest encode seconds, largest peak MiB) or None when this kmq refuses the level."""
    best, size, peak = None, None, 0.0
    for _ in range(runs):
        out = os.path.join(tmp, "out.png")
        code, output, mib = run_measured([kmq, "compress", image, "-o", out, "-k", str(k), "--png-level", str(level),
                                          "--force", "--json"] + (["--threads", str(threads)] if threads else []))
        if code != 0:
            return None
        report = json.loads(output)
        size = report["output_bytes"]
        seconds = report["seconds"]["encode"]
        best = seconds if best is None else min(best, seconds)
        peak = max(peak, mib)
    return size, best, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kmq", default="build/kmq")
    parser.add_argument("--baseline", help="an older kmq to compare with, same run")
    parser.add_argument("--levels", default="0,1,4,6,9,10,12")
    parser.add_argument("--k", default="16,64")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, help="kmq's --threads (both kmqs); default: kmq's own (every core)")
    parser.add_argument("--out", default="results/png_levels.md")
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()
    levels = [int(v) for v in args.levels.split(",")]
    load = os.getloadavg()[0]
    lines = ["| image | K | level | " + ("baseline bytes | baseline encode ms | baseline peak MiB | " if args.baseline else "") +
             "bytes | encode ms | peak MiB |" + (" bytes vs baseline | time vs baseline |" if args.baseline else ""),
             "|---|---|---|" + ("---|---|---|" if args.baseline else "") + "---|---|---|" + ("---|---|" if args.baseline else "")]
    sides = (["baseline"] if args.baseline else []) + ["kmq"]
    size_rows, time_rows, memory_rows = [], [], []
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for image in args.images:
            for k in [int(v) for v in args.k.split(",")]:
                for level in levels:
                    new = encode(args.kmq, image, k, level, args.runs, tmp, args.threads)
                    cells = [os.path.basename(image), str(k), str(level)]
                    old = encode(args.baseline, image, k, level, args.runs, tmp, args.threads) if args.baseline else None
                    if args.baseline:
                        cells += [f"{old[0]:,}", f"{old[1] * 1000:.0f}", f"{old[2]:.0f}"] if old else ["(refused)", "–", "–"]
                    cells += [f"{new[0]:,}", f"{new[1] * 1000:.0f}", f"{new[2]:.0f}"] if new else ["(refused)", "–", "–"]
                    runs = ([old] if args.baseline else []) + [new]
                    label = f"{os.path.basename(image)} K={k} level {level}"
                    size_rows.append((label, [r[0] / 1000 if r else None for r in runs]))
                    time_rows.append((label, [r[1] * 1000 if r else None for r in runs]))
                    memory_rows.append((label, [r[2] if r else None for r in runs]))
                    if args.baseline:
                        if old and new:
                            cells += [f"{(new[0] / old[0] - 1) * 100:+.2f} %", f"{new[1] / old[1]:.2f}x"]
                        else:
                            cells += ["–", "–"]
                    lines.append("| " + " | ".join(cells) + " |")
                    print(lines[-1], flush=True)
    machine = f"Machine: {machine_line(f'load average {load:.2f} at the start')}"
    with open(args.out, "w") as md:
        md.write("# PNG bytes and encoding time per --png-level\n\n")
        md.write(f"{machine}; "
                 f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Encode = kmq's encode stage alone "
                 f"(`--json` seconds.encode), lowest of {args.runs} runs; bytes = the whole PNG file.\n")
        md.write("Made by `bench/png_levels.py " + " ".join(f"--{a} {getattr(args, a)}" for a in ("levels", "k", "runs", "threads")
                                         if getattr(args, a) is not None)
                 + (" --baseline BASELINE" if args.baseline else "") + " " + " ".join(args.images) + "`.\n\n")
        md.write("\n".join(lines) + "\n")
        svg = os.path.splitext(args.out)[0] + ".svg"
        md.write(f"\n![bytes, encode time and peak memory per level]({os.path.basename(svg)})\n")
    bar_chart.write(svg, "PNG bytes and encoding time per --png-level",
                    machine,
                    [bar_chart.panel("output, kB", size_rows, sides, decimals=0),
                     bar_chart.panel("encode stage, ms", time_rows, sides, decimals=0),
                     bar_chart.panel("peak memory of the process, MiB", memory_rows, sides, decimals=0)])


if __name__ == "__main__":
    main()
