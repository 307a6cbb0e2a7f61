#!/usr/bin/env bash
# kmq batch throughput on the sample images plus COUNT small crops, with
# --jobs 1 and --jobs 2 (and more where given), --threads 1 each.
#   bench/batch_throughput.sh KMQ [COUNT=200] [SIZE=160] [JOBS="1 2"]
set -euo pipefail
kmq=$(realpath "$1"); count=${2:-200}; size=${3:-160}; jobs=${4:-"1 2"}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
g++ -std=c++17 -O2 "$root/bench/batch_crops.cpp" -o "$work/batch_crops" $(pkg-config --cflags --libs opencv4)
"$work/batch_crops" "$root/sample_images" "$work/in" "$count" "$size" "$size"
echo "inputs: $(find "$work/in" -type f | wc -l) files, $(du -sb "$work/in" | cut -f1) bytes; $(nproc) cores"
for src in "$work/in" "$work/in/crops"; do
for j in $jobs; do
  rm -rf "$work/out"
  start=$(date +%s.%N)
  "$kmq" batch "$src" -r -d "$work/out" --jobs "$j" --threads 1 --backend cpu --progress none -k 16 2>"$work/err" || true
  end=$(date +%s.%N)
  echo "${src#$work/} --jobs $j: $(echo "$end - $start" | bc) s wall; $(grep '^kmq batch: [0-9]* inputs' "$work/err")"
done
done
