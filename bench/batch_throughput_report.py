#!/usr/bin/env python3
"""The table (Markdown) and plot (SVG) of bench/batch_throughput.sh's CSV.
  batch_throughput_report.py CSV OUT_DIR MACHINE QUICK VERSIONS [REPEAT]
Standard library only: the SVG is drawn by hand."""
import csv
import sys
import time
from collections import OrderedDict
from html import escape

TOOLS = ["kmq-batch", "decode+encode", "pngquant", "pngquant-parallel"]
COLOURS = {"kmq-batch": "#1f77b4", "decode+encode": "#7f7f7f", "pngquant": "#ff7f0e", "pngquant-parallel": "#d62728"}


def fmt(v):
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def main():
    path, out, machine, quick, versions = sys.argv[1:6]
    repeat = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    rows = list(csv.DictReader(open(path)))
    sets = list(OrderedDict.fromkeys(r["set"] for r in rows))
    jobs = sorted({int(r["jobs"]) for r in rows})
    at = {}
    for r in rows:
        at[(r["set"], r["tool"], int(r["k"]), int(r["jobs"]))] = r
    loads = [float(r["load_before"]) for r in rows]

    def get(s, tool, k, j):
        if tool == "decode+encode":
            k = 16  # the I/O pass does not depend on K: measured once
        return at.get((s, tool, k, j))

    lines = [
        "# kmq batch throughput",
        "",
        f"Machine: {machine}; kmq ran on the CPU (`--backend cpu`). {versions}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Load average (1 min) before each run: {min(loads):.1f} to {max(loads):.1f}: the machine is shared with "
        "other engineers' builds, so every figure is noisy; the ratios come from the same run of the script.",
        ("**Reduced run** (`--quick` or `--counts`): fewer images in some sets than the issue's 2000 / 200 / 20 "
         "(the counts are in the table)."
         if quick == "1" else "Full sets."),
        "",
        "`kmq batch --jobs N --threads 1 --backend cpu -k K` against `decode+encode` (bench/batch_io_only.cpp: the same "
        "decoders, palette-PNG encoder at level 6 and atomic write on N threads, a fixed 3-3-2 palette instead of the "
        "clustering, no metrics), `pngquant K --nofs` given all files with OMP_NUM_THREADS=N, and GNU `parallel -j N` "
        f"running one `pngquant K --nofs` per file. Each time is the fastest of {repeat} pass(es). MB/s counts input bytes (PNG). Peak RSS: the largest process "
        "(/usr/bin/time). decode+encode does not depend on K: it is measured once and shown in both rows. On 32x32 "
        "crops every tool is bound by creating and flushing files (kmq writes each output with fsync), not by pixels.",
        "",
        "| set | images | K | N | kmq img/s | kmq MB/s | kmq peak MiB | decode+encode img/s | kmq / decode+encode "
        "| pngquant img/s | pngquant parallel img/s | kmq / pngquant parallel |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sets:
        for k in (16, 64):
            for j in jobs:
                kmq = get(s, "kmq-batch", k, j)
                if not kmq:
                    continue
                io, pq, pp = get(s, "decode+encode", k, j), get(s, "pngquant", k, j), get(s, "pngquant-parallel", k, j)
                rate = float(kmq["images_per_s"])

                def cell(r):
                    return fmt(float(r["images_per_s"])) if r else "-"

                def ratio(r):
                    return f'{rate / float(r["images_per_s"]):.2f}' if r else "-"

                lines.append(f'| {s} | {kmq["images"]} | {k} | {j} | {fmt(rate)} | {float(kmq["mb_per_s"]):.1f} | '
                             f'{kmq["peak_rss_mib"]} | {cell(io)} | {ratio(io)} | {cell(pq)} | {cell(pp)} | {ratio(pp)} |')
    lines += ["", "Raw data: [throughput.csv](throughput.csv); plot: [throughput.svg](throughput.svg)."]
    open(f"{out}/throughput.md", "w").write("\n".join(lines) + "\n")
    open(f"{out}/throughput.svg", "w").write(svg(sets, jobs[-1], get, machine, quick))


def svg(sets, j, get, machine, quick):
    """One panel per set: images/s of each tool at K = 16 and 64 with N = j workers."""
    bar, gap, label_w, panel_w = 14, 6, 170, 520
    parts, y = [], 50
    for s in sets:
        values = [(k, t, get(s, t, k, j)) for k in (16, 64) for t in TOOLS]
        top = max((float(r["images_per_s"]) for _, _, r in values if r), default=1.0)
        parts.append(f'<text x="10" y="{y}" font-weight="bold">{escape(s)} (images/s, N = {j})</text>')
        y += 10
        for k, t, r in values:
            if not r:
                continue
            v = float(r["images_per_s"])
            w = max(1.0, panel_w * v / top)
            name = f"{t} (any K)" if t == "decode+encode" else f"{t} K={k}"
            parts.append(f'<text x="{label_w - 6}" y="{y + bar - 3}" text-anchor="end">{escape(name)}</text>')
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" fill="{COLOURS[t]}"/>')
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 3}">{fmt(v)}</text>')
            y += bar + gap
        y += 24
    title = f"kmq batch throughput ({'reduced run, ' if quick == '1' else ''}{escape(machine)}, CPU)"
    height = y
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + panel_w + 80}" height="{height}" '
            f'font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n'
            f'<text x="10" y="22" font-size="14">{title}</text>\n' + "\n".join(parts) + "\n</svg>\n")


if __name__ == "__main__":
    main()
