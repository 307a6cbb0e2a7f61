#!/usr/bin/env bash
# Start-up and small-file cost of two kmq binaries (before/after the speed
# issue's own decoders): `kmq --version`, a 1x1 PNG, sample_images/fruits.jpg
# and a 3840x2160 PNG, with hyperfine (wall time, mean of N runs, both binaries
# in one hyperfine run) and GNU time (peak RSS, the largest of 3 runs each).
# Writes OUT.md and OUT.svg (default results/startup: the table and its chart).
#   bench/startup.sh BASELINE_KMQ NEW_KMQ [WORKDIR]
#   environment: STARTUP_OUT=PREFIX
# The 3840x2160 PNG is made once from sample_images/volna-5120x2880.jpg
# (Pillow, Lanczos) in WORKDIR (default /tmp/kmq-startup-bench).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench/startup.sh BASELINE_KMQ NEW_KMQ [WORKDIR]" >&2; exit 64; }
command -v hyperfine >/dev/null || { echo "startup.sh: needs hyperfine (scripts/install-deps.sh --bench)" >&2; exit 69; }
[ -x /usr/bin/time ] || { echo "startup.sh: needs GNU time (scripts/install-deps.sh --bench)" >&2; exit 69; }
base=$1
new=$2
work=${3:-/tmp/kmq-startup-bench}
src=$(cd "$(dirname "$0")/.." && pwd)
out=${STARTUP_OUT:-$src/results/startup}
mkdir -p "$work"
if [ ! -f "$work/volna-3840x2160.png" ]; then
  /usr/bin/python3 - "$src" "$work" <<'PY'
import sys
from PIL import Image
src, work = sys.argv[1], sys.argv[2]
im = Image.open(f"{src}/sample_images/volna-5120x2880.jpg").convert("RGB")
im.resize((3840, 2160), Image.LANCZOS).save(f"{work}/volna-3840x2160.png")
Image.new("RGB", (1, 1), (10, 20, 30)).save(f"{work}/one.png")
PY
fi
names=("--version" "1x1 PNG" "fruits.jpg (512x480)" "3840x2160 PNG")
cmds=(
  "--version"
  "compress $work/one.png -o $work/out.png --force -q"
  "compress $src/sample_images/fruits.jpg -o $work/out.png --force -q"
  "compress $work/volna-3840x2160.png -o $work/out.png --force -q"
)
runs=(200 200 30 5)
: > "$work/rows.tsv"
for i in "${!cmds[@]}"; do
  c=${cmds[$i]}
  echo "== kmq $c" >&2
  peaks=()
  for b in "$base" "$new"; do
    : > "$work/rss"
    for _ in 1 2 3; do /usr/bin/time -a -f "%M" -o "$work/rss" "$b" $c >/dev/null 2>&1 || true; done
    peaks+=("$(sort -n "$work/rss" | tail -1)")
  done
  hyperfine -N -w 3 -r "${runs[$i]}" --export-json "$work/h$i.json" "$base $c" "$new $c" >/dev/null 2>&1
  printf '%s\t%s\t%s\t%s\t%s\n' "${names[$i]}" "${runs[$i]}" "${peaks[0]}" "${peaks[1]}" "$work/h$i.json" >> "$work/rows.tsv"
done
/usr/bin/python3 "$src/bench/startup_report.py" "$work/rows.tsv" "$out" "$base" "$new" \
  "$(ldd "$base" | wc -l)" "$(ldd "$new" | wc -l)"
echo "wrote $out.md and $out.svg"
