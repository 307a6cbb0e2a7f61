#!/usr/bin/env bash
# The quality benchmark: builds the benchmark set from sample_images/ (bench/quality_set.py)
# and compares kmq's error with its peers' at K = 16, 64, 256 (bench/compare_peers.py),
# every error computed the same way from the written file.
#
#   bench/quality.sh [KMQ_BINARY] [OUT_PREFIX] [extra compare_peers.py options...]
#
# Defaults: build/kmq, results/quality (writes .md, .csv, .json). Environment:
#   QUALITY_K      K values (default 16,64,256)
#   QUALITY_CAP    seconds a scikit-learn/OpenCV/FAISS run may take before it counts as timed out (default 60)
#   QUALITY_SPACE  oklab: instead, kmq --space rgb vs --space oklab vs pngquant --nofs on mean ΔE_ok
#                  and MSE (bench/oklab_peers.py; K default 16,64; OUT_PREFIX default results/quality_oklab)
#   QUALITY_SET    outside: the images of bench/outside_set.py (from Debian packages, not from this
#                  repository) instead of the set made from sample_images/ (OUT_PREFIX default
#                  results/quality_outside; with QUALITY_SPACE=oklab too, results/quality_oklab_outside)
#                  holdout: the hold-out images of bench/outside_set.py --holdout (Debian's wallpaper packages;
#                  first run in round 10, never tuned on; OUT_PREFIX default results/quality_holdout)
# Example, kmq alone against the peers of an earlier run:
#   bench/quality.sh build/kmq results/quality --reuse results/quality_baseline.json --skip sklearn_default --label "$(git rev-parse --short HEAD)"
# (quality_baseline.json has no scikit-learn n_init=10 rows: without --skip they would run, ~40 min)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
kmq="${1:-$root/build/kmq}"
oklab=$([ "${QUALITY_SPACE:-rgb}" = oklab ] && echo 1 || true)
outside=$([ "${QUALITY_SET:-samples}" = outside ] && echo 1 || true)
holdout=$([ "${QUALITY_SET:-samples}" = holdout ] && echo 1 || true)
out="${2:-$root/results/quality${oklab:+_oklab}${outside:+_outside}${holdout:+_holdout}}"
shift $(( $# >= 2 ? 2 : $# ))
python=/usr/bin/python3  # Debian's, with PIL, numpy, scikit-learn and OpenCV
for module in PIL numpy sklearn cv2; do
  "$python" -c "import $module" 2>/dev/null || { echo "quality.sh: $python lacks $module (scripts/install-deps.sh --bench)" >&2; exit 69; }
done
[ -x "$kmq" ] || { echo "quality.sh: $kmq: no kmq binary (build it first)" >&2; exit 66; }
set_dir="$(mktemp -d)"
trap 'rm -rf "$set_dir"' EXIT
set_script="$here/quality_set.py"
set_options=()
[ -n "$outside$holdout" ] && set_script="$here/outside_set.py"
[ -n "$holdout" ] && set_options=(--holdout)
mapfile -t images < <("$python" "$set_script" "${set_options[@]}" "$set_dir")
[ "${#images[@]}" -gt 0 ] || { echo "quality.sh: $set_script made no images" >&2; exit 66; }
if [ -n "$oklab" ]; then
  command -v pngquant >/dev/null || { echo "quality.sh: no pngquant (scripts/install-deps.sh --bench)" >&2; exit 69; }
  "$python" "$here/oklab_peers.py" --kmq "$kmq" --k "${QUALITY_K:-16,64}" --out "$out" "$@" "${images[@]}"
  exit 0
fi
"$python" "$here/compare_peers.py" --kmq "$kmq" --k "${QUALITY_K:-16,64,256}" --cap "${QUALITY_CAP:-60}" \
  --out "$out" "$@" "${images[@]}"
