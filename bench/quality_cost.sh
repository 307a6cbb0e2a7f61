#!/usr/bin/env bash
# Whole-process time and peak memory of two kmq binaries side by side (issue
# 15's budget: the quality work may cost at most 25 % more than commit 823e566
# at the same K). Runs alternate A, B, A, B... RUNS times per image and K; the
# table shows each binary's fastest run (the least disturbed by other load),
# the ratio B/A and each one's peak resident set (GNU time's %M, the largest of
# its runs). Writes OUT.md and OUT.svg (default results/quality_cost_run: the
# committed results/quality_cost.md has the issue's own notes around its table).
#
#   bench/quality_cost.sh BASE_KMQ NEW_KMQ [RUNS] IMAGE...
#   environment: QUALITY_COST_OUT=PREFIX
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: bench/quality_cost.sh BASE_KMQ NEW_KMQ [RUNS] IMAGE..." >&2; exit 64; }
[ -x /usr/bin/time ] || { echo "quality_cost.sh: needs GNU time (scripts/install-deps.sh --bench)" >&2; exit 69; }
base="$1"; new="$2"; shift 2
runs=5
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then runs="$1"; shift; fi
here=$(cd "$(dirname "$0")" && pwd)
out=${QUALITY_COST_OUT:-$here/../results/quality_cost_run}
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
best() { sort -g | head -1; }
most() { sort -g | tail -1; }
{
  echo "# Whole-process time and peak memory, two kmq builds side by side"
  echo
  echo "Machine: $(/usr/bin/python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); from machine_info import machine_line; print(machine_line())' "$here")."
  echo "bench/quality_cost.sh, fastest of $runs alternating runs (each under GNU time, whose fork and exec both sides pay alike); base: \`$base\`; new: \`$new\`; $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  echo "| image | K | base s | new s | new/base | base peak MiB | new peak MiB |"
  echo "|---|---|---|---|---|---|---|"
} > "$out.md.tmp"
tail -n 2 "$out.md.tmp"
for image in "$@"; do
  for k in 16 64 256; do
    for side in a b; do : > "$tmp/$side"; : > "$tmp/$side.kib"; done
    for _ in $(seq "$runs"); do
      for side in a b; do
        binary="$base"; [ "$side" = b ] && binary="$new"
        start=$(date +%s.%N)
        /usr/bin/time -f "%M" -o "$tmp/rss" "$binary" compress "$image" -o "$tmp/out.png" -k "$k" --force -q
        echo "$(date +%s.%N) - $start" | bc >> "$tmp/$side"
        cat "$tmp/rss" >> "$tmp/$side.kib"
      done
    done
    a=$(best < "$tmp/a"); b=$(best < "$tmp/b")
    line=$(printf '| %s | %d | %.3f | %.3f | %.2f | %.0f | %.0f |' "$(basename "$image")" "$k" "$a" "$b" \
      "$(echo "$b / $a" | bc -l)" "$(echo "$(most < "$tmp/a.kib") / 1024" | bc -l)" \
      "$(echo "$(most < "$tmp/b.kib") / 1024" | bc -l)")
    echo "$line" | tee -a "$out.md.tmp"
  done
done
echo >> "$out.md.tmp"
echo "![new/base time and peak memory]($(basename "$out").svg)" >> "$out.md.tmp"
/usr/bin/python3 "$here/bar_chart.py" "$out.md.tmp" "$out.svg.tmp" --label image,K --value new/base \
  --title "whole process, new time / base time" --reference 1 --reference-label "parity" --suffix x \
  --also "base peak MiB,new peak MiB"
mv "$out.md.tmp" "$out.md"
mv "$out.svg.tmp" "$out.svg"
echo "wrote $out.md and $out.svg"
