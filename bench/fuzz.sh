#!/usr/bin/env bash
# Builds the libFuzzer target (tests/fuzz/) with clang, ASan and UBSan and runs
# it for MINUTES minutes on the seed corpus tests/fuzz_corpus/, then writes
# results/fuzz/summary.md (exec/s, corpus size, coverage, findings, the log's
# tail), results/fuzz/fuzz-tail.log (the last 200 lines of libFuzzer's output;
# all of it stays in BUILD/fuzz.log) and copies every crash, leak, timeout or
# OOM input to results/fuzz/findings/.
#   bench/fuzz.sh [MINUTES]        default 5
#   KMQ_FUZZ_BUILD_DIR             build folder (default build-fuzz)
#   KMQ_FUZZ_RSS_MB                -rss_limit_mb (default 2048)
#   KMQ_FUZZ_TIMEOUT               -timeout seconds for one input (default 60: an input
#                                  takes at most ~2 s alone under ASan, but the machine
#                                  may be loaded and the run niced)
# The corpus that grows during the run stays in $build/corpus (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-5}
build=${KMQ_FUZZ_BUILD_DIR:-build-fuzz}
out=results/fuzz
rss=${KMQ_FUZZ_RSS_MB:-2048}
per_input=${KMQ_FUZZ_TIMEOUT:-60}

bash scripts/install-deps.sh --fuzz

mkdir -p "$build"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMQ_ENABLE_CUDA=OFF \
  -DKMQ_BUILD_FUZZ=ON -DKMQ_BUILD_TESTS=OFF -DKMQ_BUILD_BENCH=OFF >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" --target fuzz_decode_quantize -j "$(nproc 2>/dev/null || echo 2)"

mkdir -p "$out" "$build/corpus" "$build/artifacts"
rm -rf "$out/findings" "$build"/artifacts/*
log=$build/fuzz.log
seconds=$((minutes * 60))
# close_fd_mask=2: libFuzzer and the sanitizers report on a copy of stderr,
# so that the decoders' own output, were any to print, stays out of the log.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0}
started=$(date +%s)
set +e
"$build/tests/fuzz/fuzz_decode_quantize" "$build/corpus" tests/fuzz_corpus tests/fuzz_corpus/regressions \
  -dict=tests/fuzz/image.dict -max_total_time="$seconds" -rss_limit_mb="$rss" -timeout="$per_input" \
  -max_len=65536 -close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$build/artifacts/" >"$log" 2>&1
rc=$?
set -e
ended=$(date +%s)

# crash-, leak-, timeout-, oom-: findings, to results/fuzz/findings/.
# slow-unit- (over 10 s) only says which inputs were slowest: slow-units/.
rm -rf "$out/slow-units"
findings=()
slow=()
for f in "$build"/artifacts/*; do
  [ -e "$f" ] || continue
  case "$(basename "$f")" in
    slow-unit-*) mkdir -p "$out/slow-units"; cp "$f" "$out/slow-units/"; slow+=("$(basename "$f")") ;;
    *) mkdir -p "$out/findings"; cp "$f" "$out/findings/"; findings+=("$(basename "$f")") ;;
  esac
done
stat_of() { grep -E "^stat::$1:" "$log" | tail -1 | awk '{print $2}'; }
last_line=$(grep -E "^#[0-9]+" "$log" | tail -1 || true)
{
  echo "# Fuzz run: fuzz_decode_quantize"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(clang++ --version | head -1)"
  echo "- machine: $(nproc) cores, $(uname -m); run with nice -n ${KMQ_FUZZ_NICE:-0} beside other builds"
  echo "- asked: ${minutes} min; ran $((ended - started)) s; libFuzzer exit code $rc"
  echo "- options: -max_total_time=$seconds -rss_limit_mb=$rss -timeout=$per_input -max_len=65536 -dict=tests/fuzz/image.dict"
  echo "- seed corpus: $(ls tests/fuzz_corpus | grep -vc regressions) files + $(ls tests/fuzz_corpus/regressions | wc -l) regressions"
  echo "- executions: $(stat_of number_of_executed_units)  exec/s: $(stat_of average_exec_per_sec)  peak RSS: $(stat_of peak_rss_mb) MB"
  echo "- corpus at the end: $(ls "$build/corpus" | wc -l) files, $(du -sk "$build/corpus" | cut -f1) KiB"
  echo "- last status line: \`${last_line}\`"
  if [ ${#findings[@]} -eq 0 ]; then
    echo "- findings: none"
  else
    echo "- findings (${#findings[@]}, copied to results/fuzz/findings/):"
    for f in "${findings[@]}"; do echo "  - $f"; done
  fi
  [ ${#slow[@]} -eq 0 ] || echo "- slow units (over 10 s, not findings; in results/fuzz/slow-units/): ${slow[*]}"
  echo "- slowest unit: $(stat_of slowest_unit_time_sec) s; new units added: $(stat_of new_units_added)"
  echo
  echo "The last status lines and the final statistics of libFuzzer (its whole output's last 200 lines in fuzz-tail.log):"
  echo
  echo '```text'
  grep -E "^#[0-9]+" "$log" | tail -12
  grep -E "^(stat::|Done |SUMMARY|==[0-9]+== ERROR)" "$log" | sort -u
  echo '```'
} >"$out/summary.md"
tail -200 "$log" >"$out/fuzz-tail.log"
cat "$out/summary.md"
[ ${#findings[@]} -eq 0 ]
