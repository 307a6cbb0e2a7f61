#!/usr/bin/env bash
# What --level smallest|balanced|best and fixed K = 16, 64, 256 give on the
# sample images: the K used, PSNR and output bytes, and each run's peak memory.
# Writes results/levels.md (the table the README's "Levels" section is made
# from) and results/levels.svg (output size, PSNR and peak memory as bars).
#   bench/levels.sh [KMQ_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
kmq=${1:-build/kmq}
out=results/levels.md
[ -x /usr/bin/time ] || { echo "levels.sh: needs GNU time (scripts/install-deps.sh --bench)" >&2; exit 69; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo "# Levels against fixed K ($(date -u +%F); $(cd bench && /usr/bin/python3 -c 'import machine_info; print(machine_info.machine_line())'))"
  echo
  echo "Each cell: K used / PSNR dB / output bytes. Levels are PSNR targets (smallest 30 dB, balanced 35 dB, best 40 dB; K = 256 where the target is out of reach)."
  echo
  echo "| image | size | smallest | balanced | best | K=16 | K=64 | K=256 |"
  echo "|---|---|---|---|---|---|---|---|"
  for image in sample_images/*.jpg sample_images/*.png; do
    row="| $(basename "$image") |"
    size=""
    i=0
    for setting in "--level smallest" "--level balanced" "--level best" "-k 16" "-k 64" "-k 256"; do
      json=$(/usr/bin/time -f "%M" -o "$work/rss" "$kmq" compress "$image" -o "$work/o.png" --force --json $setting)
      mkdir -p "$work/runs/$(basename "$image")"
      echo "$json" > "$work/runs/$(basename "$image")/$i.json"
      cp "$work/rss" "$work/runs/$(basename "$image")/$i.kib"
      i=$((i + 1))
      cell=$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print("%d / %.2f / %s|%dx%d" % (j["colors_requested"], j["psnr"] or 99, format(j["output_bytes"], ","), j["width"], j["height"]))' "$json")
      size=${cell##*|}
      row="$row ${cell%%|*} |"
    done
    echo "${row/|  |/| $size |}" | sed "s/^| \([^|]*\) |/| \1 | $size |/"
  done
  echo
  echo "![output size, PSNR and peak memory per setting](levels.svg)"
} >"$work/levels.md"
/usr/bin/python3 - "$work/runs" sample_images/*.jpg sample_images/*.png <<'PY'
import json, os, sys
sys.path.insert(0, "bench")
import bar_chart
settings = ["smallest", "balanced", "best", "K=16", "K=64", "K=256"]
images = [os.path.basename(p) for p in sys.argv[2:]]
cell = {}
for image in images:
    for i in range(len(settings)):
        with open(f"{sys.argv[1]}/{image}/{i}.json") as f, open(f"{sys.argv[1]}/{image}/{i}.kib") as g:
            cell[(image, i)] = {"run": json.load(f), "peak_kib": int(g.read())}
def rows(value):
    return [(image, [value(cell[(image, i)]) for i in range(len(settings))]) for image in images]
import machine_info
machine = "Machine: " + machine_info.machine_line()
bar_chart.write("results/levels.svg.tmp", "Levels against fixed K", machine,
                [bar_chart.panel("output, kB", rows(lambda r: r["run"]["output_bytes"] / 1000), settings, decimals=0),
                 bar_chart.panel("PSNR, dB", rows(lambda r: r["run"]["psnr"]), settings, decimals=1),
                 bar_chart.panel("peak memory of the process, MiB", rows(lambda r: r["peak_kib"] / 1024), settings,
                                 decimals=0)])
PY
mv "$work/levels.md" "$out"
mv results/levels.svg.tmp results/levels.svg
cat "$out"
