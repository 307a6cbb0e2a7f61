#!/usr/bin/env bash
# Installs what is missing, builds kmq with its tests, runs every test.
# With nvcc present the CUDA backend is built too (one architecture, to keep
# the build short) and must start and pass here even without a GPU: its GPU
# cases skip with a reason.
#   KMQ_BUILD_DIR               build folder (default build-test)
#   KMQ_TEST_CUDA_ARCHITECTURES architectures for this build (default 75: SASS
#                               for sm_75 plus PTX that newer GPUs compile at load)
#   KMQ_ENABLE_CUDA=OFF         force a CPU-only build
#
# scripts/test.sh --sanitize: the whole suite again, CPU-only, built with
# AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer, libstdc++
# assertions) in build-asan (or KMQ_BUILD_DIR). ASan and LSan reports of every
# process, the kmq children of the CLI tests included (some of them drop
# stderr), go to files under BUILD/sanitizer-reports/; UBSan stops the process
# at its first report; any report fails the run. A summary (ctest's tail,
# every report, the time taken) goes to results/sanitize/test-sanitize.log
# (or KMQ_SANITIZE_LOG).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

if [ "${1:-}" = "--sanitize" ]; then
  exec bash scripts/test-sanitize.sh
fi

build=${KMQ_BUILD_DIR:-build-test}
mkdir -p "$build"
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DKMQ_ENABLE_CUDA="${KMQ_ENABLE_CUDA:-ON}" \
  -DKMQ_CUDA_ARCHITECTURES="${KMQ_TEST_CUDA_ARCHITECTURES:-75}" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
grep -E "^-- kmq:" "$build/configure.log" || true
cmake --build "$build" -j "$jobs"

# playwright-core for the page's end-to-end test (pinned in tests/e2e/package-lock.json;
# it drives the system's Chromium, so no browser is downloaded).
if command -v npm >/dev/null && [ ! -f tests/e2e/node_modules/playwright-core/package.json ]; then
  (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null) ||
    echo "test.sh: npm ci failed (no npm registry?): ServePageInChromium will skip and say so" >&2
fi

echo "== kmq --version"
"$build/kmq" --version
echo "== ctest"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
