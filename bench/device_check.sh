#!/usr/bin/env bash
# device_check.sh: one run on a GPU machine that builds kmq with CUDA, runs the
# tests, the CUDA sanitizers, CPU-vs-GPU byte parity on photos of three sizes
# and the CPU-vs-GPU stage timings, then prints a PASS/FAIL table (last).
#
# Usage: bash bench/device_check.sh [OUT_DIR]      (run from anywhere)
#   OUT_DIR defaults to $OUT, else ./device-check-out.
#
# The machine needs nvcc (on PATH or in /usr/local/cuda/bin), CMake >= 3.24, a
# C++17 compiler, and python3 with numpy and Pillow for making the inputs. No
# OpenCV, no Google Benchmark, no internet. GoogleTest is built from source at
# .carry/googletest (a copy of /usr/src/googletest carried along in the
# git-ignored folder .carry/); without it the tests are skipped, and said so.
#
# Environment:
#   KMQ_DEVICE_CHECK_NO_GPU=1   rehearse where there is no GPU: no nvidia-smi
#                               needed, steps that need a device are SKIP
#   KMQ_DEVICE_CHECK_ARCH=90    CUDA architectures to build (90: H100/H200)
#   KMQ_DEVICE_CHECK_JOBS=N     build jobs (default: every core)
#   KMQ_DEVICE_CHECK_BUILD=DIR  build folder (default: build-device)
#   KMQ_PYTHON=python3          the Python with numpy and Pillow (default: the first of
#                               python3 and /usr/bin/python3 that has both)
#   KMQ_DEVICE_CHECK_DEADLINE=S steps that would end after S seconds are cut
#                               short or not run (default 420), so that the
#                               summary always comes back
#   KMQ_DEVICE_CHECK_REVISION=H the commit checked (the lent machine gets the
#                               working tree without .git: pass git rev-parse HEAD)
#   KMQ_DEVICE_CHECK_BATCH=0    leave out the batch throughput (tier 3)
#   KMQ_DEVICE_CHECK_RACECHECK=0  leave out the racecheck steps (the slowest,
#                               about 130 s) where no device code changed since
#                               a run that passed them: they count as NOT RUN
#
# States: PASS, FAIL, SKIP (cannot apply here: no GPU, no sysroot) and NOT RUN
# (no time left before the deadline). The verdict is PASS only when nothing
# failed and nothing was left NOT RUN; else FAIL or INCOMPLETE, naming them.
# A rehearsal (KMQ_DEVICE_CHECK_NO_GPU=1) that would pass is REHEARSAL: its
# "GPU" side was the CPU, so it says nothing about a device.
#
# Writes under OUT_DIR (few files, so that all of them come back from a lent
# machine): device_check.log (everything printed), summary.txt (the table),
# summary.json, gpu_bench.json and .svg, kmq_command.md, batch_throughput.md,
# logs.tar.gz (every step's own log, the kmq_raw JSON lines and test XML).
# Exit status 0 for PASS and REHEARSAL, 1 for FAIL, 2 for INCOMPLETE.
# Order: build, tests, parity, the kmq command, stage timings, sanitizers,
# batch throughput (tier 3, last).

set -u
set -o pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_dir=${1:-${OUT:-$PWD/device-check-out}}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
build=${KMQ_DEVICE_CHECK_BUILD:-$repo/build-device}
case $build in /*) ;; *) build=$repo/$build ;; esac
work=$build/device-check
logs=$work/logs
inputs=$work/inputs
rm -rf "$logs"
mkdir -p "$logs" "$inputs"
arch=${KMQ_DEVICE_CHECK_ARCH:-90}
jobs=${KMQ_DEVICE_CHECK_JOBS:-$(nproc)}
# The first Python that has numpy and Pillow (a pyenv's python3 on PATH may have neither).
python=${KMQ_PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import numpy, PIL' 2>/dev/null; then python=$candidate; break; fi
  done
  if [ -z "$python" ]; then
    python=python3
    echo "device_check.sh: neither python3 nor /usr/bin/python3 imports numpy and Pillow; set KMQ_PYTHON" >&2
  fi
fi
no_gpu=${KMQ_DEVICE_CHECK_NO_GPU:-0}
deadline=${KMQ_DEVICE_CHECK_DEADLINE:-420}
revision=${KMQ_DEVICE_CHECK_REVISION:-}
if [ -z "$revision" ]; then
  revision=unknown
  # Only this repository's own .git, and say when the tree differs from it.
  if [ "$(git -C "$repo" rev-parse --show-toplevel 2>/dev/null)" = "$repo" ]; then
    revision=$(git -C "$repo" rev-parse HEAD)
    git -C "$repo" diff --quiet HEAD 2>/dev/null || revision="$revision-dirty"
  fi
fi
with_batch=${KMQ_DEVICE_CHECK_BATCH:-1}
with_racecheck=${KMQ_DEVICE_CHECK_RACECHECK:-1}
# racecheck TOOL_STEP...: runs a racecheck step, or records it NOT RUN when left out.
racecheck_step() {
  if [ "$with_racecheck" = 1 ]; then
    run_step "$@"
  else
    record "$1" "NOT RUN" 0 "left out (KMQ_DEVICE_CHECK_RACECHECK=0)"
  fi
}

exec > >(tee "$out_dir/device_check.log") 2>&1

names=() states=() secs=() notes=()
record() {  # name PASS|FAIL|SKIP|"NOT RUN" seconds note
  names+=("$1") states+=("$2") secs+=("$3") notes+=("$4")
  printf '[%s] %s (%ss)%s\n' "$2" "$1" "$3" "${4:+: $4}"
}

# run_step NAME LIMIT_S LOG CMD...: runs CMD with a time limit, output to LOG.
# No step runs past the whole check's deadline: what does not fit is NOT RUN.
run_step() {
  local name=$1 limit=$2 log=$3
  shift 3
  local left=$((deadline - SECONDS))
  if [ $left -lt 20 ]; then
    record "$name" "NOT RUN" 0 "no time left before the ${deadline}s deadline"
    return 1
  fi
  [ $limit -gt $((left - 10)) ] && limit=$((left - 10))
  local start=$SECONDS rc
  echo "\$ $*" >>"$log"
  timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  local took=$((SECONDS - start))
  if [ $rc -eq 0 ]; then
    record "$name" PASS "$took" ""
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    record "$name" FAIL "$took" "timed out after ${limit}s, see $(basename "$log")"
  else
    record "$name" FAIL "$took" "exit $rc, see $(basename "$log")"
  fi
  return $rc
}

echo "kmq device check: commit $revision, repo $repo, build $build, out $out_dir, $(date -u +%FT%TZ)"

# ---- the machine -----------------------------------------------------------
nvcc_bin=$(command -v nvcc || true)
[ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc_bin=/usr/local/cuda/bin/nvcc
have_gpu=0
if [ "$no_gpu" = 1 ]; then
  record "gpu present" SKIP 0 "KMQ_DEVICE_CHECK_NO_GPU=1: rehearsal, device steps skipped"
elif nvidia-smi >"$logs/nvidia-smi.txt" 2>&1; then
  have_gpu=1
  record "gpu present" PASS 0 "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"
else
  record "gpu present" FAIL 0 "nvidia-smi failed (set KMQ_DEVICE_CHECK_NO_GPU=1 to rehearse without a GPU)"
fi
{ echo "nvcc: $nvcc_bin"; [ -n "$nvcc_bin" ] && "$nvcc_bin" --version; cmake --version; nproc; } >"$logs/toolchain.txt" 2>&1
sanitizer=$(command -v compute-sanitizer || true)
for candidate in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  [ -z "$sanitizer" ] && [ -x "$candidate" ] && sanitizer=$candidate
done

# ---- configure and build ---------------------------------------------------
gtest_dir=$repo/.carry/googletest
cmake_args=(-S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DKMQ_BUILD_BENCH=ON
            -DKMQ_CUDA_ARCHITECTURES="$arch" -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON)
# The real kmq command, built against the image libraries that
# bench/device_carry.sh unpacked from Debian's packages into .carry/sysroot
# (the GPU machine has none of them), without the tests that use OpenCV and
# without the server; its shared libraries come from the sysroot.
sysroot=$repo/.carry/sysroot
have_cli=0
if [ -d "$sysroot/usr/include" ]; then
  have_cli=1
  lib_dir=$sysroot/usr/lib/x86_64-linux-gnu
  export PKG_CONFIG_SYSROOT_DIR=$sysroot PKG_CONFIG_LIBDIR=$lib_dir/pkgconfig:$sysroot/usr/share/pkgconfig
  export LD_LIBRARY_PATH=$lib_dir:$sysroot/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  cmake_args+=(-DKMQ_BUILD_CLI=ON -DKMQ_WITH_OPENCV=OFF -DKMQ_BUILD_SERVE=OFF
               -DCMAKE_PREFIX_PATH="$sysroot/usr" -DCMAKE_LIBRARY_PATH="$lib_dir:$sysroot/lib/x86_64-linux-gnu"
               -DCMAKE_INCLUDE_PATH="$sysroot/usr/include")
else
  cmake_args+=(-DKMQ_BUILD_CLI=OFF)
  record "kmq command" SKIP 0 "no $sysroot (bash bench/device_carry.sh, carry .carry): kmq_raw only"
fi
[ -n "$nvcc_bin" ] && cmake_args+=(-DCMAKE_CUDA_COMPILER="$nvcc_bin")
command -v ninja >/dev/null && [ ! -f "$build/Makefile" ] && cmake_args+=(-G Ninja)
have_tests=0
if [ -f "$gtest_dir/CMakeLists.txt" ]; then
  cmake_args+=(-DKMQ_BUILD_TESTS=ON -DKMQ_GTEST_SOURCE_DIR="$gtest_dir")
  have_tests=1
else
  cmake_args+=(-DKMQ_BUILD_TESTS=OFF)
  record "googletest" SKIP 0 "no $gtest_dir: building without tests"
fi
# What the device steps need is built first, the rest after, so that one unit
# that fails to compile costs only its own tests.
built=0
if run_step "configure" 120 "$logs/configure.log" cmake "${cmake_args[@]}"; then
  targets=(kmq_raw)
  [ $have_cli = 1 ] && targets+=(kmq batch_io_only)
  if grep -q "CUDA backend ON" "$logs/configure.log"; then
    targets+=(kmq_gpu_bench)
  else
    record "cuda enabled" FAIL 0 "configure found no nvcc: CPU-only build"
  fi
  [ $have_tests = 1 ] && targets+=(test_backend_parity)
  echo "device targets: ${targets[*]}"
  run_step "build (device targets)" 360 "$logs/build.log" cmake --build "$build" -j "$jobs" --target "${targets[@]}" &&
    built=1
  run_step "build everything else" 300 "$logs/build-all.log" cmake --build "$build" -j "$jobs"
fi
cat "$logs/build.log" "$logs/build-all.log" 2>/dev/null | grep -E "error:|Error [0-9]" | head -n 10

# ---- tests -----------------------------------------------------------------
if [ $built = 1 ] && [ $have_tests = 1 ]; then
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    log=$logs/$name.log
    # On a GPU machine a CUDA case that skips fails the run (KMQ_REQUIRE_GPU).
    if run_step "$name" 240 "$log" env KMQ_REQUIRE_GPU=$have_gpu "$t" --gtest_output="xml:$logs/$name.xml"; then
      if [ $have_gpu = 1 ] && grep -q 'SKIPPED \].*/cuda' "$log"; then
        record "$name: cuda cases ran" FAIL 0 "CUDA cases skipped on a GPU machine: $(grep -m1 'unavailable' "$log")"
      fi
    fi
  done
elif [ $have_tests = 1 ]; then
  record "tests" SKIP 0 "build failed"
fi

# The greedy seeding replays one CUDA graph per step; where capture is refused
# it launches the same kernels one by one. That path must agree too.
if [ $built = 1 ] && [ $have_tests = 1 ] && [ $have_gpu = 1 ]; then
  run_step "seeding without CUDA graphs" 120 "$logs/no-graph.log" env KMQ_CUDA_NO_GRAPH=1 \
    "$build/tests/test_backend_parity" --gtest_filter='*WholeSeeding*/cuda:*Quantize*/cuda'
fi

# ---- inputs ----------------------------------------------------------------
photo=$repo/sample_images/volna-5120x2880.jpg
[ -f "$photo" ] || photo=$(ls -S "$repo"/sample_images/*.jpg "$repo"/sample_images/*.png 2>/dev/null | head -1)
sizes=("1920x1080" "3840x2160" "7680x4320")
made_inputs=0
if [ -n "$photo" ]; then
  cat >"$work/make_inputs.py" <<'PY'
import sys
from PIL import Image
photo, folder = sys.argv[1], sys.argv[2]
source = Image.open(photo).convert("RGBA")
for size in sys.argv[3:]:
    w, h = (int(v) for v in size.split("x"))
    image = source.resize((w, h), Image.LANCZOS)
    with open(f"{folder}/photo-{w}x{h}.rgba", "wb") as f:
        f.write(image.tobytes())
    print(f"{folder}/photo-{w}x{h}.rgba from {photo}")
PY
  run_step "inputs (Pillow)" 120 "$logs/inputs.log" "$python" "$work/make_inputs.py" "$photo" "$inputs" "${sizes[@]}" 640x360 &&
    made_inputs=1
else
  record "inputs (Pillow)" FAIL 0 "no photo in sample_images/"
fi
raw=$build/bench/kmq_raw
bench=$build/bench/kmq_gpu_bench
tiny=$inputs/photo-640x360.rgba

device_ok=0
[ $have_gpu = 1 ] && [ $built = 1 ] && device_ok=1

# ---- CPU vs GPU byte parity on photos -----------------------------------------
# Each: size k dedupe. The raw (no-dedupe) runs are costly on the CPU, so they
# stay at the smaller sizes.
runs=("1920x1080 16 1" "1920x1080 64 1" "1920x1080 256 1" "1920x1080 64 0"
      "3840x2160 16 1" "3840x2160 64 1" "3840x2160 256 1" "3840x2160 16 0"
      "7680x4320 16 1" "7680x4320 64 1" "7680x4320 256 1")
parity_dir=$work/parity
rm -rf "$parity_dir" && mkdir -p "$parity_dir"
json_of() { sed -n 's/.*"'"$2"'":\([^,}]*\).*/\1/p' "$1" | head -1; }
# A rehearsal without a GPU runs the same loop, CPU (all threads) against CPU
# (one thread), on the smallest size only.
gpu_side=(--backend cuda)
if [ "$no_gpu" = 1 ] && [ $built = 1 ] && [ $made_inputs = 1 ]; then
  gpu_side=(--backend cpu --threads 1)
  runs=("1920x1080 16 1" "1920x1080 64 0" "1920x1080 64 1")
fi
if { [ $device_ok = 1 ] || [ "$no_gpu" = 1 ]; } && [ $built = 1 ] && [ $made_inputs = 1 ]; then
  for r in "${runs[@]}"; do
    read -r size k dedupe <<<"$r"
    if [ $((deadline - SECONDS)) -lt 60 ]; then
      record "parity $size k=$k" "NOT RUN" 0 "no time left before the ${deadline}s deadline"
      continue
    fi
    w=${size%x*} h=${size#*x}
    flags=()
    tag="$size k=$k"
    [ "$dedupe" = 0 ] && flags=(--no-dedupe) && tag="$tag no-dedupe"
    base=$parity_dir/$size-k$k-d$dedupe
    log=$logs/parity-$size-k$k-d$dedupe.log
    start=$SECONDS
    ok=1
    for b in cpu cuda; do
      side=(--backend cpu)
      [ $b = cuda ] && side=("${gpu_side[@]}")
      timeout 240 "$raw" "$inputs/photo-$size.rgba" "$w" "$h" "${side[@]}" -k "$k" --seed 1 "${flags[@]}" \
        --palette "$base.$b.pal" --labels "$base.$b.idx" >"$base.$b.json" 2>>"$log" || ok=0
    done
    took=$((SECONDS - start))
    cat "$base.cpu.json" "$base.cuda.json" >>"$log" 2>/dev/null
    gpu_backend=$(json_of "$base.cuda.json" backend | tr -d '"')
    want_backend=cuda
    [ "$no_gpu" = 1 ] && want_backend=cpu
    if [ $ok = 0 ]; then
      record "parity $tag" FAIL "$took" "kmq_raw failed, see $(basename "$log")"
    elif [ "$gpu_backend" != "$want_backend" ]; then
      record "parity $tag" FAIL "$took" "the GPU side's JSON says backend '$gpu_backend', not $want_backend"
    elif cmp -s "$base.cpu.pal" "$base.cuda.pal" && cmp -s "$base.cpu.idx" "$base.cuda.idx"; then
      record "parity $tag" PASS "$took" "identical; cpu $(json_of "$base.cpu.json" total_s)s, gpu $(json_of "$base.cuda.json" total_s)s, $(json_of "$base.cpu.json" iterations) iterations"
    else
      record "parity $tag" FAIL "$took" "palette or label map differ ($(cmp "$base.cpu.idx" "$base.cuda.idx" 2>&1 | head -1))"
    fi
  done
  # Dedupe must not change the answer either (same backend, same bytes).
  a=$parity_dir/1920x1080-k64-d1 b=$parity_dir/1920x1080-k64-d0
  if [ -f "$a.cuda.idx" ] && [ -f "$b.cuda.idx" ]; then
    if cmp -s "$a.cuda.pal" "$b.cuda.pal" && cmp -s "$a.cuda.idx" "$b.cuda.idx"; then
      record "dedupe on = off (1080p k=64, cuda)" PASS 0 ""
    else
      record "dedupe on = off (1080p k=64, cuda)" FAIL 0 "deduplicated and raw runs differ"
    fi
  fi
  cp "$parity_dir"/*.json "$logs/" 2>/dev/null
else
  record "parity runs" SKIP 0 "no GPU, no build or no inputs"
fi

# ---- the kmq command: CPU vs GPU bytes, whole-process time, CUDA start-up ------
if [ $have_cli = 1 ] && [ $built = 1 ] && [ -x "$build/kmq" ] && [ -n "$photo" ]; then
  # What comes after it: the stage timings and memcheck about 50 s, the
  # racecheck steps about 130 s, the batch tier about 60 s.
  reserve=60
  [ "$with_racecheck" = 1 ] && reserve=$((reserve + 130))
  [ "$with_batch" = 1 ] && reserve=$((reserve + 60))
  bash "$repo/bench/device_kmq_command.sh" "$build/kmq" "$photo" "$work/command" "$python" \
    "$((deadline - SECONDS - reserve))" "$no_gpu" >"$logs/kmq-command.log" 2>&1
  # Its verdict lines are steps of this check.
  while IFS='|' read -r name state took note; do
    record "$name" "$state" "$took" "$note"
  done < <(sed -n 's/^STEP|//p' "$logs/kmq-command.log")
  cp "$work/command/timings.md" "$out_dir/kmq_command.md" 2>/dev/null
else
  record "kmq command" SKIP 0 "not built (no sysroot or build failed)"
fi

# ---- CPU vs GPU stage timings -------------------------------------------------
bench_table=$logs/gpu_bench.txt
if [ $have_gpu = 1 ] && [ $built = 1 ] && [ $made_inputs = 1 ] && [ -x "$bench" ]; then
  specs=()
  for size in "${sizes[@]}"; do specs+=("$inputs/photo-$size.rgba:$size"); done
  if run_step "kmq_gpu_bench (k 16,64,256)" 300 "$logs/gpu_bench.log" \
      sh -c '"$0" "$@" >"'"$bench_table"'"' "$bench" --json "$out_dir/gpu_bench.json" --ks 16,64,256 --seed 1 \
      "${specs[@]}"; then :; fi
  cat "$bench_table" >>"$logs/gpu_bench.log" 2>/dev/null
  # Its chart beside the JSON (gpu_bench.svg: the speed-ups, the whole's times, the transfers, the whole's memory);
  # no step of its own, so a chart that fails never changes the verdict.
  if [ -s "$out_dir/gpu_bench.json" ]; then
    timeout 30 "$python" "$repo/bench/gpu_bench_chart.py" "$out_dir/gpu_bench.json" >"$logs/gpu_bench_chart.log" 2>&1 || true
  fi
  # What the graph buys: the 4K image again with plain launches.
  run_step "kmq_gpu_bench 4K without CUDA graphs" 120 "$logs/gpu_bench_no_graph.log" env KMQ_CUDA_NO_GRAPH=1 \
    "$bench" --json "$logs/gpu_bench_no_graph.json" --ks 16,256 --seed 1 "$inputs/photo-3840x2160.rgba:3840x2160"
else
  record "kmq_gpu_bench" SKIP 0 "no GPU, no build, no inputs or no CUDA build"
fi

# The library prints nothing; the bench tools say when a CUDA graph capture
# was refused, so that no timing of plain launches passes for one with graphs.
if grep -l "CUDA graph capture was refused" "$logs"/*.log >/dev/null 2>&1; then
  record "cuda graphs captured" NOTE 0 "capture refused (plain launches): $(grep -l "CUDA graph capture was refused" "$logs"/*.log | xargs -n1 basename | tr '\n' ' ')"
elif [ $device_ok = 1 ]; then
  record "cuda graphs captured" PASS 0 "no capture refused in the timed and parity runs"
fi

# ---- sanitizers ------------------------------------------------------------
if [ $device_ok = 1 ] && [ -n "$sanitizer" ]; then
  parity=$build/tests/test_backend_parity
  if [ -x "$parity" ]; then
    run_step "memcheck: parity tests (cuda)" 150 "$logs/memcheck-tests.log" "$sanitizer" --tool memcheck \
      --leak-check full --error-exitcode 99 "$parity" \
      --gtest_filter='Backends/BackendParity.*/cuda:CudaProbe.*:-*Quantize*'
    racecheck_step "racecheck: parity tests (cuda)" 120 "$logs/racecheck-tests.log" "$sanitizer" --tool racecheck \
      --error-exitcode 99 "$parity" \
      --gtest_filter='*Ties*/cuda:*Farthest*/cuda:*PaletteAssignment*/cuda:*SeedingState*/cuda:*Histogram*/cuda:*StepStatisticsMatchReference/cuda'
    # The seeding and quantize cases, each its own step (together they ran
    # past one step's limit): the greedy loop's graph and kernels, and the
    # whole pipeline with restarts and both dedupe modes.
    racecheck_step "racecheck: seeding parity (cuda)" 90 "$logs/racecheck-seeding.log" "$sanitizer" --tool racecheck \
      --error-exitcode 99 "$parity" --gtest_filter='*WholeSeeding*/cuda:*KeptPixelMap*/cuda'
    racecheck_step "racecheck: quantize parity (cuda)" 150 "$logs/racecheck-quantize.log" "$sanitizer" --tool racecheck \
      --error-exitcode 99 "$parity" --gtest_filter='*QuantizeGives*/cuda:*DedupeDoesNot*/cuda'
  fi
  if [ $made_inputs = 1 ]; then
    # Every pixel a point (230 k): the fused pass loops several times per block;
    # small, because racecheck slows shared-memory work a hundredfold.
    for tool in memcheck racecheck synccheck; do
      extra=()
      [ $tool = memcheck ] && extra=(--leak-check full)
      step=run_step
      [ $tool = racecheck ] && step=racecheck_step
      $step "$tool: kmq_raw 640x360 no-dedupe" 90 "$logs/$tool-raw.log" "$sanitizer" --tool $tool \
        "${extra[@]}" --error-exitcode 99 "$raw" "$tiny" 640 360 --backend cuda -k 16 --max-iter 3 --no-dedupe
    done
  fi
elif [ $device_ok = 1 ]; then
  record "compute-sanitizer" FAIL 0 "compute-sanitizer not found"
else
  record "compute-sanitizer" SKIP 0 "no GPU or no build"
fi

# ---- tier 3: batch throughput on the GPU ------------------------------------------
if [ "$with_batch" = 1 ] && [ $have_cli = 1 ] && [ $built = 1 ] && [ -x "$build/kmq" ] && [ -n "$photo" ] &&
   { [ $device_ok = 1 ] || [ "$no_gpu" = 1 ]; }; then
  if [ $((deadline - SECONDS)) -lt 60 ]; then
    record "batch throughput" "NOT RUN" 0 "no time left before the ${deadline}s deadline"
  else
    bash "$repo/bench/device_batch_throughput.sh" "$build/kmq" "$build/bench/batch_io_only" "$photo" "$work/batch" \
      "$python" "$((deadline - SECONDS - 20))" "$no_gpu" >"$logs/batch-throughput.log" 2>&1
    while IFS='|' read -r name state took note; do
      record "$name" "$state" "$took" "$note"
    done < <(sed -n 's/^STEP|//p' "$logs/batch-throughput.log")
    cp "$work/batch/batch.md" "$out_dir/batch_throughput.md" 2>/dev/null
  fi
elif [ "$with_batch" = 1 ]; then
  record "batch throughput" SKIP 0 "no GPU, no kmq command or no photo"
else
  record "batch throughput" "NOT RUN" 0 "left out (KMQ_DEVICE_CHECK_BATCH=0)"
fi

# ---- summary -----------------------------------------------------------------
passed=0 failed=0 skipped=0 not_run=0 failed_names=() not_run_names=()
for i in "${!states[@]}"; do
  case ${states[$i]} in
    PASS) passed=$((passed + 1)) ;;
    FAIL) failed=$((failed + 1)) failed_names+=("${names[$i]}") ;;
    "NOT RUN") not_run=$((not_run + 1)) not_run_names+=("${names[$i]}") ;;
    *) skipped=$((skipped + 1)) ;;
  esac
done
verdict=PASS
[ $not_run -gt 0 ] && verdict=INCOMPLETE
# Without a GPU the "GPU" side of every step is the CPU backend again: a rehearsal of the script, no verdict on a device.
[ "$no_gpu" = 1 ] && [ "$verdict" = PASS ] && verdict=REHEARSAL
[ $failed -gt 0 ] && verdict=FAIL
join() { local IFS=';'; echo "$*"; }
{
  echo "commit $revision, $(date -u +%FT%TZ)"
  printf '%-44s %-7s %6s  %s\n' "step" "state" "secs" "note"
  for i in "${!names[@]}"; do
    printf '%-44s %-7s %6s  %s\n' "${names[$i]}" "${states[$i]}" "${secs[$i]}" "${notes[$i]}"
  done
} >"$out_dir/summary.txt"
json_text() { local t=${1//\\/\\\\}; echo "${t//\"/\\\"}"; }
{
  echo "{"
  echo "  \"commit\": \"$revision\","
  echo "  \"steps\": ["
  for i in "${!names[@]}"; do
    sep=","
    [ "$i" -eq $((${#names[@]} - 1)) ] && sep=""
    echo "    {\"step\": \"$(json_text "${names[$i]}")\", \"state\": \"${states[$i]}\", \"seconds\": ${secs[$i]}, \"note\": \"$(json_text "${notes[$i]}")\"}$sep"
  done
  echo "  ],"
  echo "  \"passed\": $passed, \"failed\": $failed, \"skipped\": $skipped, \"not_run\": $not_run, \"verdict\": \"$verdict\""
  echo "}"
} >"$out_dir/summary.json"
tar -czf "$out_dir/logs.tar.gz" -C "$work" logs 2>/dev/null

echo
[ -s "$out_dir/kmq_command.md" ] && cat "$out_dir/kmq_command.md" && echo
[ -s "$out_dir/batch_throughput.md" ] && cat "$out_dir/batch_throughput.md" && echo
if [ -s "$bench_table" ]; then
  echo "CPU vs GPU, stage by stage (ms; GPU by CUDA events):"
  cat "$bench_table"
  echo
fi
cat "$out_dir/summary.txt"
echo
echo "device check: $verdict ($passed passed, $failed failed, $not_run not run, $skipped skipped) in ${SECONDS}s;" \
  "commit $revision; logs in $out_dir"
[ $failed -gt 0 ] && echo "failed: $(join "${failed_names[@]}")"
[ $not_run -gt 0 ] && echo "not run (no time left, or left out): $(join "${not_run_names[@]}")"
case $verdict in PASS | REHEARSAL) exit 0 ;; FAIL) exit 1 ;; *) exit 2 ;; esac
