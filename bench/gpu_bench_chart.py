#!/usr/bin/env python3
"""The CPU-against-GPU chart of kmq_gpu_bench's JSON: per image and K, the
speed-up (CPU time / GPU time) of the whole quantize + remap and of its stages
(histogram, seeding, clustering, one step over every pixel), log scale, the
transfers' floor, and the whole's memory (host and device) where the run has
it. Written beside the JSON (gpu_bench.svg) by bench/device_check.sh; run
alone it draws the chart of a committed run:

    /usr/bin/python3 bench/gpu_bench_chart.py results/gpu/RUN/gpu_bench.json [OUT.svg]
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bar_chart  # noqa: E402

STAGES = ["whole", "histogram", "seeding", "clustering", "step_all"]


def image_name(path):
    return os.path.splitext(os.path.basename(path))[0]


def panels(rows):
    order = []
    for r in rows:
        key = (image_name(r["image"]), r["k"])
        if r["stage"] in STAGES and r["k"] > 0 and key not in order:
            order.append(key)
    by = {(image_name(r["image"]), r["k"], r["stage"]): r for r in rows}

    def speedup(image, k, stage):
        r = by.get((image, k, stage)) or by.get((image, 0, stage))  # the histogram has no K
        return r["cpu_ms"] / r["gpu_ms"] if r and r["gpu_ms"] > 0 and r["cpu_ms"] > 0 else None

    speed = [(f"{image} K={k}", [speedup(image, k, s) for s in STAGES]) for image, k in order]
    times = [(f"{image} K={k}", [by[(image, k, "whole")]["cpu_ms"], by[(image, k, "whole")]["gpu_ms"]])
             for image, k in order if (image, k, "whole") in by]
    pcie = [(image_name(r["image"]) + " " + r["stage"], [r["gpu_ms"]]) for r in rows if r["stage"].startswith("pcie")]
    # Runs since 2026-11-29 record the whole's memory; earlier ones have none.
    memory = [(f"{image} K={k}", [by[(image, k, "whole")][f] for f in ("cpu_mib", "gpu_host_mib", "gpu_device_mib")])
              for image, k in order if "cpu_mib" in by.get((image, k, "whole"), {})]
    memory_panels = [bar_chart.panel("whole: host memory its first run touched, and device memory held after it, MiB",
                                     memory, ["CPU backend, host", "CUDA backend, host", "CUDA backend, device"],
                                     decimals=1)] if memory else []
    return [bar_chart.panel("speed-up, CPU time / GPU time (log scale)", speed, STAGES, log=True, reference=1,
                            reference_label="parity", decimals=1, suffix="x"),
            bar_chart.panel("whole (quantize + remap with the command's defaults), ms", times, ["CPU", "GPU"],
                            decimals=1),
            bar_chart.panel("transfers alone, ms (the floor no kernel shortens)", pcie, decimals=2)] + memory_panels


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    with open(argv[1]) as f:
        run = json.load(f)
    out = argv[2] if len(argv) == 3 else os.path.join(os.path.dirname(argv[1]), "gpu_bench.svg")
    folder = os.path.basename(os.path.dirname(os.path.abspath(argv[1])))
    machine = (f"GPU: {run.get('gpu', '?')}; CPU backend: {run.get('cpu', '?')}; "
               f"{run.get('timing', 'timing rule not recorded')}; seed {run.get('seed', '?')}; every stage's results "
               f"the same on both: {'yes' if run.get('all_match') else 'NO'}; run {folder}")
    bar_chart.write(out, "kmq CPU backend against CUDA backend, stage by stage (kmq_gpu_bench)", machine,
                    panels(run["rows"]))
    print(f"gpu_bench_chart: wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
