#!/usr/bin/env bash
# What --level smallest|balanced|best and fixed K = 16, 64, 256 give on the
# sample images: the K used, PSNR, SSIM and output bytes. Writes
# results/levels.md (the table the README's "Levels" section is made from).
#   bench/levels.sh [KMQ_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
kmq=${1:-build/kmq}
out=results/levels.md
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
    for setting in "--level smallest" "--level balanced" "--level best" "-k 16" "-k 64" "-k 256"; do
      json=$("$kmq" compress "$image" -o "$work/o.png" --force --json $setting)
      cell=$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print("%d / %.2f / %s|%dx%d" % (j["colors_requested"], j["psnr"] or 99, format(j["output_bytes"], ","), j["width"], j["height"]))' "$json")
      size=${cell##*|}
      row="$row ${cell%%|*} |"
    done
    echo "${row/|  |/| $size |}" | sed "s/^| \([^|]*\) |/| \1 | $size |/"
  done
} >"$out"
cat "$out"
