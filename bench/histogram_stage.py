#!/usr/bin/env python3
"""The histogram stage inside `kmq compress` (its --json "seconds.histogram"), two
builds side by side: e.g. the tree before the hash histogram (1d4ca4c) and after.
Alternating runs, fastest of R each; the outputs must be byte-identical.
Writes a Markdown table to stdout.
  histogram_stage.py OLD_KMQ NEW_KMQ [--runs R] [-k K] IMAGE...
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine_info import machine_line  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("images", nargs="+")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("-k", type=int, default=64)
    args = parser.parse_args()
    load = open("/proc/loadavg").read().split()[0]
    print("# The histogram stage inside `kmq compress`, two builds\n")
    print(f"Machine: {machine_line()}; "
          f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}. Load average at the start: {load}. "
          f"K={args.k}, fastest of {args.runs} alternating runs; bench/histogram_stage.py.\n")
    print("| image | histogram, old ms | histogram, new ms | new / old | whole process, old ms | "
          "whole process, new ms | same output |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for image in args.images:
            stage = {"old": [], "new": []}
            wall = {"old": [], "new": []}
            for _ in range(args.runs):
                for name in ("old", "new"):
                    start = time.perf_counter()
                    out = subprocess.run([getattr(args, name), "compress", image, "-o", f"{work}/{name}.png",
                                          "-k", str(args.k), "--json", "--force"],
                                         capture_output=True, text=True, check=True).stdout
                    wall[name].append(time.perf_counter() - start)
                    stage[name].append(json.loads(out)["seconds"]["histogram"])
            old, new = min(stage["old"]), min(stage["new"])
            same = open(f"{work}/old.png", "rb").read() == open(f"{work}/new.png", "rb").read()
            print(f"| {os.path.basename(image)} | {1e3 * old:.2f} | {1e3 * new:.2f} | {new / old:.2f}x | "
                  f"{1e3 * min(wall['old']):.1f} | {1e3 * min(wall['new']):.1f} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
