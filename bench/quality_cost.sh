#!/usr/bin/env bash
# Whole-process time of two kmq binaries side by side (issue 15's budget: the
# quality work may cost at most 25 % more than commit 823e566 at the same K).
# Runs alternate A, B, A, B... RUNS times per image and K; the table shows each
# binary's fastest run (the least disturbed by other load) and the ratio B/A.
#
#   bench/quality_cost.sh BASE_KMQ NEW_KMQ [RUNS] IMAGE...
set -euo pipefail
base="$1"; new="$2"; shift 2
runs=5
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then runs="$1"; shift; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
best() { sort -g | head -1; }
echo "| image | K | base s | new s | new/base |"
echo "|---|---|---|---|---|"
for image in "$@"; do
  for k in 16 64 256; do
    : > "$tmp/a"; : > "$tmp/b"
    for _ in $(seq "$runs"); do
      for side in a b; do
        binary="$base"; [ "$side" = b ] && binary="$new"
        start=$(date +%s.%N)
        "$binary" compress "$image" -o "$tmp/out.png" -k "$k" --force -q
        echo "$(date +%s.%N) - $start" | bc >> "$tmp/$side"
      done
    done
    a=$(best < "$tmp/a"); b=$(best < "$tmp/b")
    printf '| %s | %d | %.3f | %.3f | %.2f |\n' "$(basename "$image")" "$k" "$a" "$b" "$(echo "$b / $a" | bc -l)"
  done
done
