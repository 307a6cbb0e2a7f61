#!/usr/bin/env bash
# Start-up and small-file cost of two kmq binaries (before/after the speed
# issue's own decoders): `kmq --version`, a 1x1 PNG, sample_images/fruits.jpg
# and a 3840x2160 PNG, with hyperfine (wall time) and /usr/bin/time (peak RSS).
#   bench/startup.sh BASELINE_KMQ NEW_KMQ [WORKDIR]
# The 3840x2160 PNG is made once from sample_images/volna-5120x2880.jpg
# (Pillow, Lanczos) in WORKDIR (default /tmp/kmq-startup-bench).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench/startup.sh BASELINE_KMQ NEW_KMQ [WORKDIR]" >&2; exit 64; }
command -v hyperfine >/dev/null || { echo "startup.sh: needs hyperfine (scripts/install-deps.sh --bench)" >&2; exit 69; }
base=$1
new=$2
work=${3:-/tmp/kmq-startup-bench}
src=$(cd "$(dirname "$0")/.." && pwd)
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
echo "ldd: baseline $(ldd "$base" | wc -l) libraries, new $(ldd "$new" | wc -l)"
cmds=(
  "--version"
  "compress $work/one.png -o $work/out.png --force -q"
  "compress $src/sample_images/fruits.jpg -o $work/out.png --force -q"
  "compress $work/volna-3840x2160.png -o $work/out.png --force -q"
)
runs=(200 200 30 5)
for i in "${!cmds[@]}"; do
  c=${cmds[$i]}
  echo "== kmq $c"
  for b in "$base" "$new"; do
    for _ in 1 2 3; do /usr/bin/time -f "%e s %M KB  ($b)" "$b" $c >/dev/null 2>>"$work/time.log" || true; done
    tail -1 "$work/time.log"
  done
  hyperfine -N -w 3 -r "${runs[$i]}" "$base $c" "$new $c" 2>/dev/null | grep -E "Time|±|faster|$base|$new" || true
done
