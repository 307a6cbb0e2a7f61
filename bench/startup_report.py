"""The table (Markdown) and chart (SVG) of bench/startup.sh: per command, each
binary's mean wall time (hyperfine's JSON), the ratio new / baseline, and each
one's peak RSS (GNU time).
    startup_report.py ROWS.tsv OUT_PREFIX BASELINE_KMQ NEW_KMQ BASELINE_LIBS NEW_LIBS
ROWS.tsv: name, runs, baseline peak KiB, new peak KiB, hyperfine JSON, a line per command."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bar_chart  # noqa: E402
from machine_info import machine_line  # noqa: E402


def main(argv):
    if len(argv) != 7:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    rows_tsv, out, base, new, base_libs, new_libs = argv[1:]
    rows = []
    with open(rows_tsv, encoding="utf-8") as f:
        for line in f:
            name, runs, base_kib, new_kib, path = line.rstrip("\n").split("\t")
            with open(path, encoding="utf-8") as h:
                results = json.load(h)["results"]
            rows.append((name, int(runs), results[0]["mean"] * 1e3, results[1]["mean"] * 1e3,
                         int(base_kib) / 1024, int(new_kib) / 1024))
    machine = f"Machine: {machine_line()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    lines = ["# Start-up and small files: two kmq binaries side by side", "",
             f"{machine}. bench/startup.sh: hyperfine's mean of N runs (both binaries in one hyperfine run, "
             f"3 warm-ups), peak RSS the largest of 3 runs under GNU time. baseline: `{base}` ({base_libs} shared "
             f"libraries); new: `{new}` ({new_libs}).", "",
             "| command | runs | baseline ms | new ms | new / baseline | baseline peak MiB | new peak MiB |",
             "|---|---|---|---|---|---|---|"]
    for name, runs, base_ms, new_ms, base_mib, new_mib in rows:
        lines.append(f"| {name} | {runs} | {base_ms:.1f} | {new_ms:.1f} | {new_ms / base_ms:.2f}x | "
                     f"{base_mib:.1f} | {new_mib:.1f} |")
    lines += ["", f"![time and peak memory per command]({os.path.basename(out)}.svg)", ""]
    with open(out + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    bar_chart.write(out + ".svg", "Start-up and small files: two kmq binaries", machine, [
        bar_chart.panel("mean wall time, new / baseline", [(r[0], [r[3] / r[2]]) for r in rows], reference=1,
                        reference_label="parity", suffix="x"),
        bar_chart.panel("mean wall time, ms", [(r[0], [r[2], r[3]]) for r in rows], ["baseline", "new"], decimals=1),
        bar_chart.panel("peak memory, MiB", [(r[0], [r[4], r[5]]) for r in rows], ["baseline", "new"], decimals=1)])


if __name__ == "__main__":
    main(sys.argv)
