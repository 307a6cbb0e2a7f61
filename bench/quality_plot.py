"""The quality table as a plot: for each row (image, K), kmq's MSE against the
best peer's, in per cent (below zero: kmq lower). compare_peers.py writes it
beside its table; run alone, it redraws STEM.svg from STEM.csv and STEM.json.
    /usr/bin/python3 bench/quality_plot.py results/quality [results/quality_outside ...]"""
import csv
import json
import sys
from html import escape

from peers_report import wrapped_lines

TIE_PERCENT = 0.1  # the tables' tie tolerance


def svg(rows, title, machine):
    """rows: (label, percent or None, best peer, alpha_note); one bar each."""
    row_h, left, right, top = 14, 220, 150, 76
    width = 900
    height = top + row_h * len(rows) + 50
    values = [p for _, p, _, _ in rows if p is not None]
    low = min([-1.0] + values)
    high = max([1.0] + values)
    span = high - low
    x = lambda v: left + (v - low) / span * (width - left - right)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="18" font-size="14">{escape(title)}</text>',
           *[f'<text x="10" y="{34 + 12 * i}" font-size="10">{escape(line)}</text>'
             for i, line in enumerate((wrapped_lines(machine, 160) + ["", ""])[:2])],
           f'<text x="10" y="60" font-size="10">kmq\'s MSE against the lowest of the peers\' in each row, per cent '
           f'(left of 0: kmq lower; within {TIE_PERCENT:g} %: a tie). Green: at or below the best peer; red: above.</text>']
    # The tie band and the zero line, then ticks.
    out.append(f'<rect x="{x(-TIE_PERCENT):.1f}" y="{top}" width="{x(TIE_PERCENT) - x(-TIE_PERCENT):.1f}" '
               f'height="{row_h * len(rows)}" fill="#eee"/>')
    step = 1 if span <= 12 else 2 if span <= 25 else 5 if span <= 60 else 10
    tick = int(low // step) * step
    while tick <= high:
        if tick >= low:
            out.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{top + row_h * len(rows)}" '
                       f'stroke="{"#444" if tick == 0 else "#ddd"}"/>')
            out.append(f'<text x="{x(tick):.1f}" y="{top + row_h * len(rows) + 14}" text-anchor="middle">{tick:+g} %</text>')
        tick += step
    for i, (label, percent, peer, note) in enumerate(rows):
        y = top + i * row_h
        out.append(f'<text x="{left - 6}" y="{y + row_h - 3}" text-anchor="end">{escape(label)}</text>')
        if percent is None:
            out.append(f'<text x="{x(0) + 4:.1f}" y="{y + row_h - 3}" fill="#888">no peer finished</text>')
            continue
        colour = "#2e8b57" if percent <= TIE_PERCENT else "#c0392b"
        x0, x1 = sorted((x(0), x(percent)))
        out.append(f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 1):.1f}" height="{row_h - 4}" fill="{colour}">'
                   f'<title>{escape(label)}: {percent:+.2f} % against {escape(peer)}</title></rect>')
        out.append(f'<text x="{width - right + 6}" y="{y + row_h - 3}" fill="#555">{percent:+.2f} % vs {escape(peer)}{note}</text>')
    out.append(f'<text x="{x(0):.1f}" y="{height - 8}" text-anchor="middle">kmq vs best peer (MSE, %)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def rows_from_csv(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            percent = float(r["kmq_vs_best_peer_percent"]) if r["kmq_vs_best_peer_percent"] else None
            note = " †" if r.get("error_space") == "premultiplied_rgba" else ""
            rows.append((f"{r['image']} K={r['k']}", percent, r["best_peer"], note))
    return rows


def write(stem, title=None):
    with open(stem + ".json") as f:
        machine = json.load(f).get("machine", "")
    title = title or "Quality: kmq against scikit-learn, OpenCV, FAISS and pngquant at the same K († with alpha)"
    with open(stem + ".svg", "w") as f:
        f.write(svg(rows_from_csv(stem + ".csv"), title, machine))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for stem in sys.argv[1:]:
        write(stem)
