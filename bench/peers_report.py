"""The peers benchmark's Markdown table and SVG plot (bench/peers.py's rows in, text out)."""
from html import escape
import math
import time

import bar_chart

COLOURS = {"kmq baseline": "#7f7f7f", "kmq": "#d62728", "kmq 1 seeding": "#ff9896", "pngquant": "#1f77b4", "ImageMagick": "#2ca02c",
           "scikit-learn": "#9467bd", "OpenCV": "#8c564b", "FAISS": "#e377c2"}
DASHES = {16: "", 64: "6,3", 256: "2,3"}
STAGES = ["decode", "histogram", "seed", "iterate", "refine", "map", "metrics", "encode", "write", "total"]


def _cell(row, key, fmt):
    if row is None:
        return "–"
    if row.get("status") != "ok":
        return "timed out" if row.get("status", "").startswith("timed out") else "skipped"
    return format(row[key], fmt)


def markdown(rows, machine, missing, cap, command, doc):
    by = {(r["image"], r["k"], r["tool"]): r for r in rows}
    cases = []
    for r in rows:
        if (r["image"], r["k"]) not in cases:
            cases.append((r["image"], r["k"]))
    mp = {r["image"]: r["megapixels"] for r in rows}
    out = ["# kmq against its peers, file to file", "",
           f"Machine: {machine}. Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
           f"Made by `{command}`; per-run cap {cap:g} s.", ""]
    out += [f"Skipped: {m}." for m in missing] + ([""] if missing else [])
    out += [doc.strip().split("\n\n", 1)[1], ""]
    out += ["## Whole process: kmq against pngquant and ImageMagick (seconds, MSE)", "",
            "| image | MP | K | kmq s | pngquant s | kmq / pngquant | kmq / pngquant, CPU s | ImageMagick s | kmq MSE | kmq 1-seeding MSE | "
            "pngquant MSE | ImageMagick MSE | kmq MB | pngquant MB | ImageMagick MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for image, k in cases:
        kmq, one, pq, im = (by.get((image, k, t)) for t in ("kmq", "kmq 1 seeding", "pngquant", "ImageMagick"))
        ratio = cpu_ratio = "–"
        if kmq and pq and kmq.get("status") == "ok" and pq.get("status") == "ok":
            ratio = f"**{kmq['seconds'] / pq['seconds']:.2f}x**"
            # GNU time counts CPU in 10 ms steps: below ~20 ms a ratio means nothing.
            if min(kmq["cpu_seconds"], pq["cpu_seconds"]) >= 0.02:
                cpu_ratio = f"{kmq['cpu_seconds'] / pq['cpu_seconds']:.2f}x"
        one_mse = _cell(one, "mse", ".2f") if one else "(= kmq)"
        out.append(f"| {image} | {mp[image]:g} | {k} | {_cell(kmq, 'seconds', '.3f')} | {_cell(pq, 'seconds', '.3f')} | "
                   f"{ratio} | {cpu_ratio} | {_cell(im, 'seconds', '.3f')} | {_cell(kmq, 'mse', '.2f')} | {one_mse} | "
                   f"{_cell(pq, 'mse', '.2f')} | {_cell(im, 'mse', '.2f')} | {_cell(kmq, 'peak_mb', '.0f')} | "
                   f"{_cell(pq, 'peak_mb', '.0f')} | {_cell(im, 'peak_mb', '.0f')} |")
    out += ["", "## Clustering: kmq's whole process against scikit-learn's, OpenCV's and FAISS's clustering call alone",
            "", "| image | MP | K | kmq s (whole) | scikit-learn s | OpenCV s | FAISS s | sklearn / kmq | OpenCV / kmq | "
            "FAISS / kmq | kmq 1-seeding MSE | scikit-learn MSE | OpenCV MSE | FAISS MSE |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for image, k in cases:
        kmq, one, sk, cv, fa = (by.get((image, k, t))
                                for t in ("kmq", "kmq 1 seeding", "scikit-learn", "OpenCV", "FAISS"))
        one = one or kmq

        def ratio(peer):
            if peer and kmq and peer.get("status") == "ok" and kmq.get("status") == "ok":
                return f"{peer['seconds'] / kmq['seconds']:.1f}x"
            return "> cap" if peer and peer.get("status", "").startswith("timed out") else "–"
        out.append(f"| {image} | {mp[image]:g} | {k} | {_cell(kmq, 'seconds', '.3f')} | {_cell(sk, 'seconds', '.3f')} | "
                   f"{_cell(cv, 'seconds', '.3f')} | {_cell(fa, 'seconds', '.3f')} | {ratio(sk)} | {ratio(cv)} | "
                   f"{ratio(fa)} | {_cell(one, 'mse', '.2f')} | {_cell(sk, 'mse', '.2f')} | {_cell(cv, 'mse', '.2f')} | "
                   f"{_cell(fa, 'mse', '.2f')} |")
    if any(r["tool"] == "kmq baseline" for r in rows):
        out += ["", "## kmq before and after (`--baseline`: the older kmq, same run)", "",
                "| image | K | before s | after s | after / before | before MB | after MB | before bytes | after bytes | "
                "same MSE |", "|---|---|---|---|---|---|---|---|---|---|"]
        for image, k in cases:
            old, new = by.get((image, k, "kmq baseline")), by.get((image, k, "kmq"))
            if old and new and old.get("status") == "ok" and new.get("status") == "ok":
                out.append(f"| {image} | {k} | {old['seconds']:.3f} | {new['seconds']:.3f} | "
                           f"{new['seconds'] / old['seconds']:.2f}x | {old['peak_mb']:.0f} | {new['peak_mb']:.0f} | "
                           f"{old['bytes']:,} | {new['bytes']:,} | {'yes' if old['mse'] == new['mse'] else 'NO'} |")
    out += ["", "## Where kmq's time goes (seconds, from `kmq compress --json`, the fastest run)", "",
            "| image | K | kmq | " + " | ".join(STAGES) + " | process wall | peak MB | bytes |",
            "|---|---|---|" + "---|" * (len(STAGES) + 3)]
    for image, k in cases:
        for tool in ("kmq baseline", "kmq"):
            kmq = by.get((image, k, tool))
            if kmq and kmq.get("status") == "ok":
                stages = " | ".join(f"{kmq['stages'].get(s, 0):.3f}" for s in STAGES)
                out.append(f"| {image} | {k} | {tool} | {stages} | {kmq['seconds']:.3f} | {kmq['peak_mb']:.0f} | "
                           f"{kmq['bytes']:,} |")
    out += ["", "## Every run (seconds: wall; CPU: user+sys of the same run)", "",
            "| image | MP | K | tool | seconds | CPU s | peak MB | MSE | bytes | status |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['image']} | {r['megapixels']:g} | {r['k']} | {r['tool']} | {_cell(r, 'seconds', '.3f')} | "
                   f"{_cell(r, 'cpu_seconds', '.3f')} | {_cell(r, 'peak_mb', '.0f')} | {_cell(r, 'mse', '.2f')} | {_cell(r, 'bytes', ',')} | {r['status']} |")
    return "\n".join(out) + "\n"


def _panel(rows, x0, y0, w, h, key, log_y, title):
    """One plot: key against megapixels (log x), a polyline per tool and K."""
    pts = [r for r in rows if r.get("status") == "ok"]
    if not pts:
        return []
    xs = [math.log10(r["megapixels"]) for r in pts]
    ys = [math.log10(max(r[key], 1e-4)) if log_y else r[key] for r in pts]
    xmin, xmax = min(xs) - 0.05, max(xs) + 0.05
    ymin, ymax = min(ys), max(ys)
    if log_y:
        ymin, ymax = math.floor(ymin), math.ceil(ymax)
    else:
        ymin, ymax = 0.0, ymax * 1.1 or 1.0
    if ymax == ymin:
        ymax = ymin + 1
    sx = lambda v: x0 + (v - xmin) / (xmax - xmin) * w
    sy = lambda v: y0 + h - (v - ymin) / (ymax - ymin) * h
    svg = [f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#888"/>',
           f'<text x="{x0 + w / 2}" y="{y0 - 8}" text-anchor="middle" font-size="13">{title}</text>',
           f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" text-anchor="middle" font-size="11">megapixels (log)</text>']
    for mp in sorted({r["megapixels"] for r in pts}):
        x = sx(math.log10(mp))
        svg.append(f'<line x1="{x:.1f}" y1="{y0 + h}" x2="{x:.1f}" y2="{y0 + h + 4}" stroke="#888"/>')
        svg.append(f'<text x="{x:.1f}" y="{y0 + h + 16}" text-anchor="middle" font-size="10">{mp:g}</text>')
    ticks = range(int(ymin), int(ymax) + 1) if log_y else [ymin + i * (ymax - ymin) / 4 for i in range(5)]
    for t in ticks:
        y = sy(t)
        label = f"{10 ** t:g} s" if log_y else f"{t:.1f}"
        svg.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" stroke="#eee"/>')
        svg.append(f'<text x="{x0 - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="10">{label}</text>')
    lines = {}
    for r in pts:
        lines.setdefault((r["tool"], r["k"]), []).append(r)
    for (tool, k), line in sorted(lines.items()):
        line.sort(key=lambda r: r["megapixels"])
        coords = " ".join(f"{sx(math.log10(r['megapixels'])):.1f},"
                          f"{sy(math.log10(max(r[key], 1e-4)) if log_y else r[key]):.1f}" for r in line)
        dash = f' stroke-dasharray="{DASHES.get(k, "")}"' if DASHES.get(k) else ""
        colour = COLOURS.get(tool, "#000")
        svg.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.8"'
                   f'{dash}><title>{tool} K={k}</title></polyline>')
        # A marker at every point: a series of one size (--small) has no line to draw.
        for point in coords.split():
            px, py = point.split(",")
            svg.append(f'<circle cx="{px}" cy="{py}" r="3" fill="{colour}"><title>{tool} K={k}</title></circle>')
    return svg


def wrapped_lines(text, width):
    """text in lines of at most width characters, broken after "; " where it can be."""
    lines, line = [], ""
    for part in text.split("; "):
        candidate = f"{line}; {part}" if line else part
        if line and len(candidate) > width:
            lines.append(line + ";")
            line = part
        else:
            line = candidate
    return lines + [line] if line else lines


def svg(rows, machine):
    series = [r for r in rows if r["series"] == "volna (PNG)"]
    width, height = 980, 470
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="18" font-size="14">kmq and peers on volna resized (PNG): whole process (kmq, pngquant, '
           f'ImageMagick) or clustering alone (scikit-learn, OpenCV, FAISS)</text>',
           ]
    out += [f'<text x="10" y="{32 + 12 * i}" font-size="10">{escape(line)}</text>'
            for i, line in enumerate(wrapped_lines(machine, 170)[:2])]
    out += _panel(series, 70, 70, 480, 300, "seconds", True, "time (log-log)")
    out += _panel(series, 640, 70, 300, 300, "mse", False, "MSE per RGB channel")
    # The legend names what is drawn: the tools and K with a point on the plots.
    drawn = [r for r in series if r.get("status") == "ok"]
    y = 420
    for i, (tool, colour) in enumerate((t, c) for t, c in COLOURS.items() if any(r["tool"] == t for r in drawn)):
        x = 20 + i * 118
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 24}" y2="{y}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{x + 28}" y="{y + 4}" font-size="11">{tool}</text>')
    for i, (k, dash) in enumerate((k, d) for k, d in DASHES.items() if any(r["k"] == k for r in drawn)):
        x = 20 + i * 140
        attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x}" y1="{y + 22}" x2="{x + 24}" y2="{y + 22}" stroke="#333" stroke-width="2"{attr}/>')
        out.append(f'<text x="{x + 28}" y="{y + 26}" font-size="11">K = {k}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def graphics_svg(rows, machine):
    """peers.sh --graphics: per image and K, kmq's time and error over pngquant's (bars; 1x = parity),
    and after / before where a baseline ran."""
    by = {(r["image"], r["k"], r["tool"]): r for r in rows if r.get("status") == "ok"}
    cases = []
    for r in rows:
        if (r["image"], r["k"]) not in cases:
            cases.append((r["image"], r["k"]))

    def over(key, top, bottom):
        out = []
        for image, k in cases:
            a, b = by.get((image, k, top)), by.get((image, k, bottom))
            out.append((f"{image} K={k}", [a[key] / b[key] if a and b and b[key] > 0 else None]))
        return out
    panels = [bar_chart.panel("kmq / pngquant: time of the whole process (wall)", over("seconds", "kmq", "pngquant"),
                              log=True, reference=1.0, reference_label="1x", suffix="x"),
              bar_chart.panel("kmq / pngquant: composited MSE", over("mse", "kmq", "pngquant"),
                              reference=1.0, reference_label="1x", suffix="x")]
    if any(r["tool"] == "kmq baseline" for r in rows):
        panels.append(bar_chart.panel("kmq after / before (--baseline, same run): time", over("seconds", "kmq", "kmq baseline"),
                                      reference=1.0, reference_label="1x", suffix="x"))
    return bar_chart.render("kmq and pngquant on icons and graphics with alpha (peers.sh --graphics)", machine, panels)


def _replot(stem):
    """Draws STEM.svg again from STEM.csv and the machine line of STEM.md (after a change to the plot)."""
    import csv
    with open(stem + ".csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["k"] = int(row["k"])
        for key in ("megapixels", "seconds", "cpu_seconds", "peak_mb", "mse"):
            row[key] = float(row[key]) if row.get(key) else 0.0
    with open(stem + ".md") as f:
        machine = next((line[len("Machine: "):].split(" Made by")[0] for line in f if line.startswith("Machine: ")), "")
    with open(stem + ".svg", "w") as f:
        f.write(graphics_svg(rows, machine) if stem.endswith("peers-graphics") else svg(rows, machine))


if __name__ == "__main__":
    import sys
    if len(sys.argv) < 2:
        sys.exit("usage: bench/peers_report.py results/peers/peers[-quick|-small...] ... (redraws each .svg from its .csv)")
    for stem in sys.argv[1:]:
        _replot(stem)

