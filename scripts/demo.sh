#!/usr/bin/env bash
# Installs what is missing, builds kmq (and kmq serve's page server),
# compresses every sample image into results/demo/ at K=16 and prints what
# each became.
#   KMQ_BUILD_DIR            build folder (default build)
#   KMQ_CUDA_ARCHITECTURES   GPU architectures when nvcc is present
#                            (default 75-real;80-real;86-real;89-real;90)
#   KMQ_DEMO_K               palette size (default 16)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

build=${KMQ_BUILD_DIR:-build}
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DKMQ_BUILD_TESTS=OFF -DKMQ_BUILD_BENCH=OFF \
  -DKMQ_CUDA_ARCHITECTURES="${KMQ_CUDA_ARCHITECTURES:-75-real;80-real;86-real;89-real;90}" \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
grep -E "^-- kmq:" "$build/configure.log" || true
targets=(kmq)
# kmq-serve is a target where KMQ_BUILD_SERVE is on (configuring stops where its libraries are missing).
if grep -q '^KMQ_BUILD_SERVE:BOOL=ON' "$build/CMakeCache.txt"; then targets+=(kmq-serve); fi
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}"

echo
"$build/kmq" --version
echo
k=${KMQ_DEMO_K:-16}
mkdir -p results/demo
status=0
"$build/kmq" compress sample_images --out-dir results/demo -k "$k" --force || status=$?
echo
in_total=$(du -cb sample_images/*.jpg sample_images/*.png | tail -1 | cut -f1)
out_total=$(du -cb results/demo/*.png | tail -1 | cut -f1)
awk -v k="$k" -v n="$(ls results/demo/*.png | wc -l)" -v i="$in_total" -v o="$out_total" 'BEGIN {
  printf "K=%d: %d images, %.1f MB in, %.1f MB out (%.1f %% of the inputs); outputs in results/demo/\n",
         k, n, i / 1e6, o / 1e6, 100 * o / i }'
cat <<EOF

Next:
  $build/kmq compress sample_images/fruits.jpg -o fruits.png --level balanced --report fruits.html
      a compression level instead of K, and the page that shows the proof
  $build/kmq serve --open
      the same on a local web page: drop images, pick K or a level, compare, download
  $build/kmq batch ~/Pictures -r -d small/ --level smallest
      a whole folder tree
EOF
exit "$status"
