#!/usr/bin/env bash
# The body of `scripts/test.sh --sanitize` (see there); run through it, after
# install-deps.sh. Exit status: ctest's, or 1 when any sanitizer reported.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${KMQ_BUILD_DIR:-build-asan}
summary=${KMQ_SANITIZE_LOG:-results/sanitize/test-sanitize.log}
jobs=$(nproc 2>/dev/null || echo 2)
started=$(date +%s)

# GCC (the project's compiler: kmq_core uses GCC's __builtin_shuffle, which
# clang lacks). halt_on_error needs recovery off to stop at the first UB.
sanitizers="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMQ_ENABLE_CUDA=OFF -DKMQ_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$sanitizers -D_GLIBCXX_ASSERTIONS" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$jobs"
built=$(date +%s)

reports=$PWD/$build/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
chmod 1777 "$reports"  # test_faults runs kmq as nobody when it runs as root
# log_path: an ASan or LSan report of any process lands in a file of its own,
# also from a child whose stderr a test discards.
export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan:${KMQ_EXTRA_ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0"

echo "== kmq --version"
"$build/kmq" --version
echo "== ctest (ASan + UBSan + LSan)"
set +e
ctest --test-dir "$build" --output-on-failure -j "$jobs" 2>&1 | tee "$build/ctest.log"
rc=${PIPESTATUS[0]}
set -e
ended=$(date +%s)

report_files=$(find "$reports" -type f | sort)
# GCC 12's UBSan, combined with ASan, writes its reports to stderr whatever
# log_path says; halt_on_error makes the process fail, and ctest prints a
# failed test's output: look for them there too.
inline_reports=$(grep -nE "runtime error:|ERROR: (AddressSanitizer|LeakSanitizer)" "$build/ctest.log" || true)
mkdir -p "$(dirname "$summary")"
{
  echo "scripts/test.sh --sanitize, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(c++ --version | head -1)"
  echo "flags: $sanitizers -D_GLIBCXX_ASSERTIONS (RelWithDebInfo, CPU only)"
  echo "ASAN_OPTIONS=$ASAN_OPTIONS"
  echo "UBSAN_OPTIONS=$UBSAN_OPTIONS"
  echo "LSAN_OPTIONS=$LSAN_OPTIONS"
  echo "time: configure + build $((built - started)) s, ctest $((ended - built)) s, total $((ended - started)) s"
  echo "ctest exit code: $rc"
  echo
  echo "== failures and the summary of ctest"
  grep -E "\\*\\*\\*Failed|\\*\\*\\*Exception|\\*\\*\\*Timeout|Not Run|tests passed|tests failed|Total Test time|^[[:space:]]+[0-9]+ - " "$build/ctest.log" || true
  echo
  echo "== slowest tests"
  grep -E "Test +#[0-9]+:" "$build/ctest.log" | sed -E 's/.*Test +#[0-9]+: ([^ ]+) .* ([0-9.]+) sec$/\2 \1/' | sort -rn | head -10
  echo
  if [ -n "$inline_reports" ]; then
    echo "== sanitizer reports in test output"
    echo "$inline_reports"
    echo
  fi
  if [ -z "$report_files" ]; then
    echo "== sanitizer report files: none"
  else
    echo "== sanitizer report files: $(echo "$report_files" | wc -l)"
    for f in $report_files; do
      echo "---- $(basename "$f")"
      cat "$f"
    done
  fi
} >"$summary"
echo "== summary in $summary"
tail -n +1 "$summary" | sed -n '1,12p'
[ -z "$report_files" ] && [ -z "$inline_reports" ] || { echo "sanitizer reports found (see $summary)" >&2; exit 1; }
exit "$rc"
