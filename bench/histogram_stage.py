#!/usr/bin/env python3
"""The histogram stage inside `kmq compress` (its --json "seconds.histogram"), two
builds side by side: e.g. the tree before the hash histogram (1d4ca4c) and after.
Alternating runs, fastest of R each; the outputs must be byte-identical.
Writes a Markdown table to stdout (each build's peak memory too, the largest
of its runs) and, with --svg, the same as a bar chart.
  histogram_stage.py OLD_KMQ NEW_KMQ [--runs R] [-k K] [--svg OUT.svg] IMAGE...
"""
import argparse
import datetime
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bar_chart  # noqa: E402
from machine_info import machine_line  # noqa: E402
from measured_run import run_measured  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("images", nargs="+")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("-k", type=int, default=64)
    parser.add_argument("--svg", help="also draw the table as a bar chart here")
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    machine = f"Machine: {machine_line()}"
    print("# The histogram stage inside `kmq compress`, two builds\n")
    print(f"{machine}; "
          f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}. Load average at the start: {load}. "
          f"K={args.k}, fastest of {args.runs} alternating runs, each under GNU time for its peak memory (whose fork and "
          f"exec both builds pay alike); bench/histogram_stage.py.\n")
    print("| image | histogram, old ms | histogram, new ms | new / old | whole process, old ms | "
          "whole process, new ms | same output | peak MiB, old / new |")
    print("|---|---|---|---|---|---|---|---|")
    stages, ratios, memory = [], [], []
    with tempfile.TemporaryDirectory() as work:
        for image in args.images:
            stage = {"old": [], "new": []}
            wall = {"old": [], "new": []}
            peak = {"old": 0.0, "new": 0.0}
            for _ in range(args.runs):
                for name in ("old", "new"):
                    command = [getattr(args, name), "compress", image, "-o", f"{work}/{name}.png", "-k", str(args.k),
                               "--json", "--force"]
                    start = time.perf_counter()
                    code, out, mib = run_measured(command)
                    wall[name].append(time.perf_counter() - start)
                    if code != 0:
                        sys.exit(f"histogram_stage: {' '.join(command)} failed with {code}")
                    stage[name].append(json.loads(out)["seconds"]["histogram"])
                    peak[name] = max(peak[name], mib)
            old, new = min(stage["old"]), min(stage["new"])
            with open(f"{work}/old.png", "rb") as a, open(f"{work}/new.png", "rb") as b:
                same = a.read() == b.read()
            name = os.path.basename(image)
            print(f"| {name} | {1e3 * old:.2f} | {1e3 * new:.2f} | {new / old:.2f}x | "
                  f"{1e3 * min(wall['old']):.1f} | {1e3 * min(wall['new']):.1f} | {'yes' if same else 'NO'} | "
                  f"{peak['old']:.0f} / {peak['new']:.0f} |", flush=True)
            stages.append((name, [1e3 * old, 1e3 * new]))
            ratios.append((name, [new / old]))
            memory.append((name, [peak["old"], peak["new"]]))
    if args.svg:
        bar_chart.write(args.svg, "The histogram stage inside kmq compress, two builds", machine,
                        [bar_chart.panel("histogram stage, ms", stages, ["old", "new"]),
                         bar_chart.panel("new / old (histogram stage)", ratios, reference=1, reference_label="parity",
                                         suffix="x"),
                         bar_chart.panel("peak memory of the process, MiB", memory, ["old", "new"], decimals=0)])


if __name__ == "__main__":
    main()
