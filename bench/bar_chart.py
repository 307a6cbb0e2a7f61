"""SVG bar charts for the Python and shell benchmarks' results/, byte for byte
what bench/bar_chart.hpp (the C++ harnesses') writes for the same chart: one
row a table row, one horizontal bar a series, panels stacked, each with its own
axis (linear from 0, or logarithmic for ratios spanning decades) and an optional
dashed reference line (1x = parity). Standard library only; tested by
tests/bench/test_bar_chart.py (against the C++ too).

As a command it draws a chart from a Markdown table a harness wrote:
    bench/bar_chart.py TABLE.md OUT.svg --label COL[,COL] --value COL[,COL] [--log] [--reference R]
                       [--also COL[,COL]]...
--value's columns make the first panel (with --log, --reference, --suffix);
each --also makes one more, linear from 0 (sizes, memory).
"""
import argparse
import math
import re
import sys

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
MARGIN, BAR, BAR_GAP, ROW_GAP, CHAR_W, VALUE_ROOM, MOST_LABEL_W, MACHINE_WRAP = 10, 12, 2, 6, 6.2, 76, 300, 118

# Every step below is bench/bar_chart.cpp's, operation for operation, so that the two write the same bytes
# (tests/bench/test_bar_chart.py compares them on tests/bench/bar_chart_cases.json through bar_chart_render).


def panel(title, rows, series=(), log=False, reference=0.0, reference_label="", decimals=2, suffix=""):
    """rows: [(label, [value, ...])]; a value None or NaN is drawn as a dash (not measured)."""
    return dict(title=title, rows=rows, series=list(series), log=log, reference=reference,
                reference_label=reference_label, decimals=decimals, suffix=suffix)


def escape(text):
    """& < > " ' as entities, control characters but tab and newline as U+FFFD (kmq::report::escape)."""
    out = []
    for c in str(text):
        out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}.get(c) or
                   ("\ufffd" if ord(c) < 0x20 and c not in "\t\n" else c))
    return "".join(out)


def compact(value):
    """kmq::report::compact: "1.23M", "350k", "0.005"."""
    if value == 0:
        return "0"
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def shortened(label):
    """The label as drawn: past the label column's width, its first characters and "…"."""
    most = int((MOST_LABEL_W - 8) / CHAR_W)
    return label if len(label) <= most else label[:most - 1] + "…"


def wrapped(text, width=MACHINE_WRAP):
    lines, line = [], ""
    for word in (w for w in re.split(r"[ \t\n\v\f\r]+", text) if w):  # ASCII white space, as C++'s >>
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def _measured(v, log):
    return v is not None and math.isfinite(v) and (not log or v > 0)


def _nice_top(hi):
    """The first tick of 1, 2 or 5 times a power of ten at or above hi (about 5 ticks), and their step."""
    if hi <= 0:
        return 1.0, 0.2
    raw = hi / 5
    power = math.pow(10.0, math.floor(math.log10(raw)))
    f = raw / power
    step = (1 if f < 1.5 else 2 if f < 3.5 else 5 if f < 7.5 else 10) * power
    return math.ceil(hi / step - 1e-9) * step, step


def _axis(p, left, right):
    """(to_x, ticks, where bars start) of the panel's axis."""
    values = [v for _, vs in p["rows"] for v in vs if _measured(v, p["log"])]
    if p["reference"] > 0:
        values.append(p["reference"])
    if p["log"]:
        lo = math.pow(10.0, math.floor(math.log10(min(values, default=1)) + 1e-9))
        hi = max(math.pow(10.0, math.ceil(math.log10(max(values, default=10)) - 1e-9)), lo * 10)
        ticks, t = [], lo
        while t <= hi * (1 + 1e-9):
            ticks.append(t)
            t *= 10
        return (lambda v: left + (right - left) * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))), ticks, lo
    top, step = _nice_top(max(values, default=1))
    low = min(0.0, min(values, default=0))
    if low < 0:  # negative values (a change in per cent): the axis reaches them too
        step = _nice_top(top - low)[1]
        low = math.floor(low / step + 1e-9) * step
        top = math.ceil(top / step - 1e-9) * step
    ticks = [low + i * step for i in range(round((top - low) / step) + 1)]
    return (lambda v: left + (right - left) * (v - low) / (top - low)), ticks, 0.0


def _text(x, y, s, extra=""):
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(s)}</text>'


def _line(x1, y1, x2, y2, style):
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>'


def _tick(v):
    return compact(v) if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-2) else f"{v:g}"


def render(title, machine, panels, width=760):
    """The chart as an SVG document."""
    longest = max([8] + [len(shortened(label)) for p in panels for label, _ in p["rows"]])
    label_w = min(MOST_LABEL_W, CHAR_W * longest + 8)
    left, right = MARGIN + label_w, width - VALUE_ROOM
    out, y = [], 26
    out.append(_text(MARGIN, y, title, ' font-size="14" font-weight="bold"'))
    for line in wrapped(machine):
        y += 15
        out.append(_text(MARGIN, y, line, ' fill="#555"'))
    y += 14
    for p in panels:
        y += 22
        out.append(_text(MARGIN, y, p["title"], ' font-weight="bold"'))
        if len(p["series"]) > 1:
            y += 16
            x = left
            for s, name in enumerate(p["series"]):
                out.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{COLOURS[s % len(COLOURS)]}"/>')
                out.append(_text(x + 14, y, name))
                x += 14 + CHAR_W * len(name) + 18
        y += 8
        to_x, ticks, start = _axis(p, left, right)
        top, bars = y, []
        for label, values in p["rows"]:
            label = shortened(label)
            row_h = max(1, len(values)) * (BAR + BAR_GAP)
            bars.append(_text(left - 6, y + row_h / 2 + 3, label, ' text-anchor="end"'))
            for s, v in enumerate(values):
                bar_top = y + s * (BAR + BAR_GAP)
                if not _measured(v, p["log"]):
                    bars.append(_text(left + 4, bar_top + BAR - 2, "–", ' fill="#888"'))
                    continue
                x0, x1 = to_x(start), to_x(v)
                x, w = min(x0, x1), max(0.5, abs(x1 - x0))
                shown = f"{v:.{p['decimals']}f}{p['suffix']}"
                name = f"{p['series'][s]}, " if s < len(p["series"]) else ""
                bars.append(f'<rect x="{x:.1f}" y="{bar_top:.1f}" width="{w:.1f}" height="{BAR:.1f}" '
                            f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(f"{label}: {name}{shown}")}</title></rect>')
                bars.append(_text(x + w + 4, bar_top + BAR - 2, shown))
            y += row_h + ROW_GAP
        bottom = y
        for t in ticks:
            x = to_x(t)
            out.append(_line(x, top, x, bottom, 'stroke="#e4e4e4"'))
            out.append(_text(x, bottom + 12, _tick(t), ' text-anchor="middle" fill="#555" font-size="10"'))
        out += bars
        if p["reference"] > 0:
            x = to_x(p["reference"])
            out.append(_line(x, top - 4, x, bottom, 'stroke="#333" stroke-dasharray="4 3"'))
            if p["reference_label"]:
                out.append(_text(x + 4, top + 2, p["reference_label"], ' fill="#333" font-size="10"'))
        out.append(_line(left, bottom, right, bottom, 'stroke="#888"'))
        y = bottom + 14
    height = y + MARGIN
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="11">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(out) + "\n</svg>\n")


def write(path, title, machine, panels):
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(title, machine, panels))


def number(cell):
    """The first number in a table cell ("0.41x", "1,234", "+0.84 %", "12.3 (456)"); None when there is none."""
    m = re.search(r"[-+]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?", cell)
    return float(m.group(0).replace(",", "")) if m else None


def read_table(path):
    """(title, machine line, header, rows) of the first Markdown table in path."""
    title, machine, header, rows = "", "", None, []
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith("# ") and not title:
            title = line[2:]
        elif line.startswith("Machine:") and not machine:
            machine = line.split(". ")[0] if len(line) > 300 else line
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            elif not all(set(c) <= set("-: ") for c in cells):
                rows.append(cells)
        elif header is not None and rows:
            break
    if header is None:
        raise SystemExit(f"bar_chart: {path}: no Markdown table")
    return title, machine, header, rows


def main(argv=None):
    ap = argparse.ArgumentParser(description="Draws an SVG bar chart from a benchmark's Markdown table.")
    ap.add_argument("table")
    ap.add_argument("svg")
    ap.add_argument("--label", required=True, help="columns naming a row, comma-separated (joined by spaces)")
    ap.add_argument("--value", required=True, help="columns drawn as bars, comma-separated (one series each)")
    ap.add_argument("--title", help="the panel's title (default: the value columns)")
    ap.add_argument("--log", action="store_true", help="a logarithmic axis")
    ap.add_argument("--reference", type=float, default=0.0, help="a dashed line at this value (1 for ratios)")
    ap.add_argument("--reference-label", default="")
    ap.add_argument("--decimals", type=int, default=2)
    ap.add_argument("--suffix", default="")
    ap.add_argument("--also", action="append", default=[], help="columns of one more panel, linear from 0 (repeatable)")
    ap.add_argument("--machine", help="the machine line (default: the table's line that starts with Machine:)")
    a = ap.parse_args(argv)
    title, machine, header, rows = read_table(a.table)

    def column(name):
        if name not in header:
            raise SystemExit(f"bar_chart: {a.table}: no column {name!r} (columns: {', '.join(header)})")
        return header.index(name)

    def names_in(spec):
        """The column names of a comma-separated list; a name with commas of its own ("histogram, old ms") stays whole."""
        names, pending = [], ""
        for part in spec.split(","):
            pending = f"{pending},{part}" if pending else part
            if pending.strip() in header:
                names.append(pending.strip())
                pending = ""
        if pending:
            column(pending.strip())  # exits naming it
        return names

    labels = [column(c) for c in names_in(a.label)]

    def data(names):
        values = [column(c) for c in names]
        return [(label_of(r), [number(r[i]) if i < len(r) else None for i in values]) for r in rows]

    def label_of(row):
        """The first label column's cell, then name=cell for the others ("fruits.jpg K=16 level=6")."""
        first, *rest = labels
        return " ".join([row[first]] + [f"{header[i]}={row[i]}" for i in rest])

    series = names_in(a.value)
    panels = [panel(a.title or ", ".join(series), data(series), series if len(series) > 1 else (), a.log, a.reference,
                    a.reference_label, a.decimals, a.suffix)]
    for also in a.also:
        names = names_in(also)
        rows_of = data(names)
        whole = all(v is None or float(v).is_integer() for _, vs in rows_of for v in vs)
        panels.append(panel(", ".join(names), rows_of, names if len(names) > 1 else (), decimals=0 if whole else a.decimals))
    write(a.svg, title, a.machine or machine, panels)


if __name__ == "__main__":
    sys.exit(main())
