#!/usr/bin/env bash
# The PNG encoder's deflate, one stream against pieces on 1 and 2 threads, on
# volna resized to 3840x2160 (Pillow, Lanczos) and at 5120x2880, K = 16, 64, 256,
# levels 1, 6, 9, 12: kmq compresses each, bench/png_pieces.cpp times the
# deflate of its rows. Table to results/png_pieces.md (or $3), its chart beside
# it (.svg: the speed-up and the bytes added, per file, level, piece size and threads).
#   bench/png_pieces.sh [BUILD_DIR] [SOURCE_DIR] [OUT.md]
set -euo pipefail
build=${1:-build}
src=${2:-.}
out=${3:-$src/results/png_pieces.md}
runs=${PNG_PIECES_RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$src/sample_images/volna-5120x2880.jpg" "$work/volna-3840x2160.png" <<'PY'
import sys
from PIL import Image
Image.open(sys.argv[1]).convert("RGB").resize((3840, 2160), Image.LANCZOS).save(sys.argv[2])
PY
pngs=()
for input in "$work/volna-3840x2160.png" "$src/sample_images/volna-5120x2880.jpg"; do
  name=$(basename "${input%.*}")
  for k in 16 64 256; do
    "$build/kmq" compress "$input" -o "$work/$name-k$k.png" -k "$k" --force > /dev/null
    pngs+=("$work/$name-k$k.png")
  done
done
"$build/bench/png_pieces" --runs "$runs" --levels "${PNG_PIECES_LEVELS:-1,6,9,12}" \
  --pieces "${PNG_PIECES_SIZES:-262144,524288,1048576}" --threads 1,2 "${pngs[@]}" > "$out.tmp"
# The machine is shared: what else ran decides what a second thread can gain.
echo "" >> "$out.tmp"
echo "Load average (1, 5, 15 min) at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs." >> "$out.tmp"
svg=${out%.md}.svg
echo "" >> "$out.tmp"
echo "![speed-up and bytes added by pieces]($(basename "$svg"))" >> "$out.tmp"
/usr/bin/python3 "$(dirname "$0")/bar_chart.py" "$out.tmp" "$svg.tmp" --label "file,level,pieces of,threads" \
  --value speed-up --title "speed-up of pieces on threads against one stream" --reference 1 --reference-label parity \
  --suffix x --also "vs one stream"
mv "$out.tmp" "$out"
mv "$svg.tmp" "$svg"
echo "wrote $out and $svg"
