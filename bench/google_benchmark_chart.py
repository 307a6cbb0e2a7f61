#!/usr/bin/env python3
"""The chart of a Google Benchmark JSON file (bench_cpu_step's
--benchmark_out): each benchmark's time per call, and, for benchmarks run on
one thread and on all (".../threads:1" beside ".../threads:0"), the speed-up
of all threads over one, and the memory each benchmark's set-up and first
call touched (its MiB_touched counter, where it has one). Written beside the
JSON (.svg) unless OUT is given:

    /usr/bin/python3 bench/google_benchmark_chart.py results/bench_cpu_step.json [OUT.svg]
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bar_chart  # noqa: E402

TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    with open(argv[1], encoding="utf-8") as f:
        run = json.load(f)
    out = argv[2] if len(argv) == 3 else os.path.splitext(argv[1])[0] + ".svg"
    ms = {b["name"]: b["real_time"] * TO_MS[b.get("time_unit", "ns")] for b in run["benchmarks"]
          if b.get("run_type", "iteration") == "iteration"}
    speedups = [(name[:-len("/threads:1")], [ms[name] / ms[name[:-1] + "0"]]) for name in ms
                if name.endswith("/threads:1") and name[:-1] + "0" in ms]
    c = run.get("context", {})
    machine = (f"Machine: {c.get('num_cpus', '?')} CPUs at {c.get('mhz_per_cpu', '?')} MHz, host {c.get('host_name', '?')}; "
               f"load average {', '.join(f'{v:.2f}' for v in c.get('load_avg', []))}; {c.get('date', '')}; "
               f"the Google Benchmark library a {c.get('library_build_type', '?')} build")
    panels = [bar_chart.panel("time per call, ms (wall clock)", [(n, [v]) for n, v in ms.items()], decimals=3)]
    touched = list({b["name"]: [b["MiB_touched"]] for b in run["benchmarks"]  # one bar a name, as the times
                    if b.get("run_type", "iteration") == "iteration" and "MiB_touched" in b}.items())
    if touched:
        panels.append(bar_chart.panel("memory the set-up and first call touched, MiB (minor page faults x page size)",
                                      touched, decimals=1))
    if speedups:
        panels.append(bar_chart.panel("all threads against one thread (time on one / time on all)", speedups,
                                      reference=1, reference_label="parity", suffix="x"))
    bar_chart.write(out, f"Google Benchmark: {os.path.basename(c.get('executable', argv[1]))}", machine, panels)
    print(f"google_benchmark_chart: wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
