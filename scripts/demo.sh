#!/usr/bin/env bash
# Installs what is missing, builds kmq, compresses every sample image into
# results/demo/ at K=16 and prints what each became.
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
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target kmq

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
echo "K=$k: $(ls results/demo/*.png | wc -l) images, $in_total bytes in, $out_total bytes out; outputs in results/demo/"
exit "$status"
