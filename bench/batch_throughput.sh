#!/usr/bin/env bash
# kmq batch throughput on the issue's three sets, against a decode+encode-only
# pass over the same files (bench/batch_io_only.cpp: kmq's decoders, encoder
# and atomic write, no clustering) and against pngquant (one process given
# every file, and GNU parallel running one pngquant per file), all with N
# workers, at K = 16 and 64. Writes results/batch/throughput.{csv,md,svg}
# (results/batch/quick/ for a reduced run, unless --out says where).
#   bench/batch_throughput.sh BUILD_DIR [--quick | --counts "C H F"] [--jobs "N ..."] [--repeat R] [--out DIR]
# Sets: 2000 crops of 32x32, 200 photos of 1920x1080, 20 of 5120x2880, all PNG
# (pngquant reads only PNG) cut from sample_images/ by bench/batch_crops.cpp.
# --quick: 400, 20 and 4 (the counts are in the table); --counts: any. --repeat R:
# every pass R times, the fastest kept (a shared machine's noise only slows). Needs: pngquant and
# GNU parallel (scripts/install-deps.sh --bench), /usr/bin/time, python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: bench/batch_throughput.sh BUILD_DIR [--quick | --counts \"C H F\"] [--jobs \"N ...\"] [--repeat R] [--out DIR]"
[ $# -ge 1 ] && [ "${1#-}" = "$1" ] || { echo "$usage" >&2; exit 64; }
[ -d "$1" ] || { echo "batch_throughput.sh: $1 is not a build folder" >&2; echo "$usage" >&2; exit 64; }
build=$(cd "$1" && pwd); shift
quick=0; jobs_list=$(nproc); out=""; repeat=1
while [ $# -gt 0 ]; do
  case $1 in
    --jobs | --out | --counts | --repeat)
      [ $# -ge 2 ] || { echo "batch_throughput.sh: $1 needs a value" >&2; echo "$usage" >&2; exit 64; } ;;
  esac
  case $1 in
    --quick) quick=1 ;;
    --jobs) jobs_list=$2; shift ;;
    --out) out=$2; shift ;;
    --counts) read -r -a counts <<<"$2"; quick=1; shift ;;
    --repeat) repeat=$2; shift ;;
    *) echo "batch_throughput.sh: unknown option $1" >&2; echo "$usage" >&2; exit 64 ;;
  esac
  shift
done
# A reduced run writes beside the full run's committed tables, never over them.
[ -n "$out" ] || { out=$root/results/batch; [ "$quick" = 1 ] && out=$root/results/batch/quick; }
kmq=$build/kmq
for tool in "$kmq" "$build/bench/batch_crops" "$build/bench/batch_io_only"; do
  [ -x "$tool" ] || { echo "batch_throughput.sh: $tool is missing: cmake --build $build --target kmq batch_crops batch_io_only" >&2; exit 69; }
done
for tool in pngquant parallel /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "batch_throughput.sh: $tool is missing: scripts/install-deps.sh --bench" >&2; exit 69; }
done
if [ -z "${counts+x}" ]; then
  if [ $quick -eq 1 ]; then counts=(400 20 4); else counts=(2000 200 20); fi
fi
names=(crops-32x32 hd-1920x1080 5k-5120x2880)
sizes=("32 32" "1920 1080" "5120 2880")

work=$(mktemp -d /tmp/kmq-batch-bench.XXXXXX); trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
csv=$out/throughput.csv
echo "set,images,bytes_in,tool,k,jobs,seconds,images_per_s,mb_per_s,peak_rss_mib,load_before" >"$csv"

# run SET TOOL K JOBS BYTES COUNT -- command...: times one pass, the fastest of $repeat (wall time),
# with the peak RSS of the largest process (/usr/bin/time's maxrss is the biggest waited-for process).
# The command must be repeatable: it writes to folders it empties itself ($work/out, $work/pq).
run() {
  local set=$1 tool=$2 k=$3 jobs=$4 bytes=$5 count=$6; shift 7
  local load best="" best_rss=0 r seconds rss_kib
  load=$(cut -d' ' -f1 /proc/loadavg)
  for ((r = 0; r < repeat; r++)); do
    rm -rf "$work/out"
    if [ -d "$work/pq" ]; then rm -rf "$work/pq"; cp -al "$src" "$work/pq"; fi
    sync
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" || {
      echo "batch_throughput.sh: $tool failed on $set:" >&2; tail -5 "$work/stderr" >&2; exit 70; }
    read -r seconds rss_kib <"$work/time"
    if [ -z "$best" ] || awk -v a="$seconds" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$seconds; fi
    [ "$rss_kib" -gt "$best_rss" ] && best_rss=$rss_kib
  done
  awk -v s="$set" -v n="$count" -v b="$bytes" -v t="$tool" -v k="$k" -v j="$jobs" -v sec="$best" -v r="$best_rss" -v l="$load" \
    'BEGIN { printf "%s,%d,%d,%s,%d,%d,%.2f,%.2f,%.2f,%.0f,%s\n", s, n, b, t, k, j, sec, n / sec, b / 1e6 / sec, r / 1024, l }' >>"$csv"
  tail -n 1 "$csv" >&2
}

for i in 0 1 2; do
  set=${names[$i]}; count=${counts[$i]}
  src=$work/$set
  "$build/bench/batch_crops" "$root/sample_images" "$src" "$count" ${sizes[$i]}
  bytes=$(du -sb --apparent-size "$src" | cut -f1)
  for k in 16 64; do
    for j in $jobs_list; do
      rm -rf "$work/pq"
      run "$set" kmq-batch "$k" "$j" "$bytes" "$count" -- \
        "$kmq" batch "$src" -d "$work/out" --jobs "$j" --threads 1 --backend cpu -k "$k" --progress none
      [ $k -eq 16 ] && run "$set" decode+encode "$k" "$j" "$bytes" "$count" -- "$build/bench/batch_io_only" "$src" "$work/out" "$j"
      # pngquant writes beside its input: a hard-linked copy of the set ($work/pq, made again before
      # every pass by run) keeps the set clean.
      mkdir -p "$work/pq"; (cd "$src" && ls) >"$work/list"
      run "$set" pngquant "$k" "$j" "$bytes" "$count" -- \
        env OMP_NUM_THREADS="$j" sh -c 'cd "$1" && shift && exec "$@" $(cat "$0")' "$work/list" "$work/pq" pngquant "$k" --nofs --force --ext .pq.png
      run "$set" pngquant-parallel "$k" "$j" "$bytes" "$count" -- \
        sh -c 'cd "$1" && env OMP_NUM_THREADS=1 parallel -j "$2" --will-cite pngquant "$3" --nofs --force --ext .pq.png <"$4"' \
        sh "$work/pq" "$j" "$k" "$work/list"
    done
  done
  rm -rf "$src" "$work/pq" "$work/out"
done

machine="$(cd "$root/bench" && /usr/bin/python3 -c 'import machine_info, sys; print(machine_info.machine_line(sys.argv[1]))' \
  "$(free -g | awk '/Mem:/ { print $2 }') GiB")"
/usr/bin/python3 "$root/bench/batch_throughput_report.py" "$csv" "$out" "$machine" "$quick" \
  "kmq $("$kmq" --version | head -1 | cut -d' ' -f2), pngquant $(pngquant --version | cut -d' ' -f1), GNU parallel $(parallel --version | head -1 | cut -d' ' -f3)" "$repeat"
echo "wrote $csv, $out/throughput.md, $out/throughput.svg" >&2
