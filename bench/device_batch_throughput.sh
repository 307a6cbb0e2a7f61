#!/usr/bin/env bash
# device_batch_throughput.sh: kmq batch on a GPU machine (issue #16, tier 3),
# called by device_check.sh: 200 photos of 1920x1080 and 20 of 5120x2880,
# every host core decoding and encoding, the clustering on the GPU, against
# the CPU-only batch and the decode+encode-only floor (bench/batch_io_only) on
# the same machine. CPU and GPU must write the same bytes.
#
#   device_batch_throughput.sh KMQ IO_ONLY PHOTO WORK_DIR PYTHON BUDGET_S NO_GPU
# Prints "STEP|name|state|seconds|note" lines and writes WORK_DIR/batch.md.
# NO_GPU=1 rehearses on 20 and 4 images with --backend cpu alone: nothing is
# claimed about a GPU.
set -u
set -o pipefail
kmq=$1 io_only=$2 photo=$3 work=$4 python=$5 budget=$6 no_gpu=$7
mkdir -p "$work"
rm -rf "${work:?}"/*
start_all=$SECONDS
step() { echo "STEP|$1|$2|$3|$4"; }
left() { echo $((budget - (SECONDS - start_all))); }
gpu=cuda hd_count=200 uhd_count=20
[ "$no_gpu" = 1 ] && gpu=cpu hd_count=20 uhd_count=4
jobs=$(nproc)

# Nothing here runs past the budget: what would is NOT RUN.
if [ "$(left)" -lt 60 ]; then
  for set in hd uhd; do for k in 16 64; do step "batch throughput $set k=$k" "NOT RUN" 0 "no time left"; done; done
  exit 0
fi

# Every image its own crop of the photo (position and scale drawn from a fixed
# seed), so that no two have the same colours; made on every core.
timeout --kill-after=5 "$(left)" "$python" - "$photo" "$work" "$hd_count" "$uhd_count" "$jobs" <<'PY' || { step "batch inputs" FAIL 0 "Pillow failed"; exit 0; }
import os, random, sys
import multiprocessing
from PIL import Image
photo, work, hd_count, uhd_count, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
source = Image.open(photo).convert("RGB")
def make(job):
    folder, index, size = job
    rng = random.Random(index * 7919 + size[0])
    scale = rng.uniform(0.5, 1.0)
    w, h = int(source.width * scale), int(source.height * scale)
    x, y = rng.randint(0, source.width - w), rng.randint(0, source.height - h)
    image = source.crop((x, y, x + w, y + h)).resize(size, Image.LANCZOS)
    if index % 2:
        image = image.transpose(Image.FLIP_LEFT_RIGHT)
    image.save(f"{work}/{folder}/{index:04d}.jpg", quality=90)
for folder in ("hd", "uhd"):
    os.makedirs(f"{work}/{folder}", exist_ok=True)
jobs_list = [("hd", i, (1920, 1080)) for i in range(hd_count)] + [("uhd", i, (5120, 2880)) for i in range(uhd_count)]
with multiprocessing.get_context("fork").Pool(jobs) as pool:  # the workers need make(), from stdin
    pool.map(make, jobs_list)
PY

now_ms() { echo $(($(date +%s%N) / 1000000)); }
table=$work/batch.md
{
  echo "kmq batch, $hd_count x 1920x1080 and $uhd_count x 5120x2880 JPEG (q90), $jobs host cores; images/s of one pass"
  echo
  echo "| set | K | decode+encode only | kmq batch --backend cpu | kmq batch --backend $gpu | $gpu, KMQ_CUDA_SYNC=blocking | $gpu / cpu | $gpu / decode+encode | same bytes |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$table"
for set in hd uhd; do
  count=$hd_count
  [ $set = uhd ] && count=$uhd_count
  io_rate="-"
  if [ -x "$io_only" ]; then
    t0=$(now_ms)
    timeout --kill-after=5 "$(left)" "$io_only" "$work/$set" "$work/io-$set" "$jobs" >/dev/null 2>&1 &&
      io_rate=$("$python" -c "print(f'{$count*1000/max(1,$(now_ms)-$t0):.1f}')")
    rm -rf "$work/io-$set"
  fi
  for k in 16 64; do
    name="batch throughput $set k=$k"
    [ "$(left)" -lt 30 ] && { step "$name" "NOT RUN" 0 "no time left"; continue; }
    t_step=$SECONDS
    declare -A rate=()
    ok=1 late=0
    # The GPU side twice: CUDA's default wait, and blocking waits (KMQ_CUDA_SYNC,
    # kernels/cuda_backend.cu) that leave the cores to the decoding workers.
    for side in cpu $gpu blocking; do
      b=$side sync=
      [ $side = blocking ] && b=$gpu sync=blocking
      [ $side = cpu ] && [ "$gpu" = cpu ] && [ -n "${rate[cpu]:-}" ] && continue
      out=$work/out-$set-$k-$side
      t0=$(now_ms)
      KMQ_CUDA_SYNC=$sync timeout --kill-after=5 "$(left)" "$kmq" batch "$work/$set" -d "$out" --backend $b -k $k \
        --progress none 2>"$work/err-$side.txt"
      rc=$?
      [ $rc -eq 124 ] || [ $rc -eq 137 ] && { late=1; break; }
      [ $rc -ne 0 ] && ok=0
      rate[$side]=$("$python" -c "print(f'{$count*1000/max(1,$(now_ms)-$t0):.1f}')")
    done
    if [ $late = 1 ]; then
      rm -rf "$work/out-$set-$k-"*
      step "$name" "NOT RUN" $((SECONDS - t_step)) "cut at the time budget"
      unset rate
      continue
    fi
    same=no
    diff -r "$work/out-$set-$k-cpu" "$work/out-$set-$k-$gpu" >/dev/null &&
      diff -r "$work/out-$set-$k-cpu" "$work/out-$set-$k-blocking" >/dev/null && same=yes
    ratio=$("$python" -c "print(f'{${rate[$gpu]}/${rate[cpu]}:.2f}x')")
    floor="-"
    [ "$io_rate" != "-" ] && floor=$("$python" -c "print(f'{${rate[$gpu]}/$io_rate:.2f}')")
    echo "| $set | $k | $io_rate | ${rate[cpu]} | ${rate[$gpu]} | ${rate[blocking]} | $ratio | $floor | $same |" >>"$table"
    rm -rf "$work/out-$set-$k-"*
    if [ $ok = 0 ]; then
      step "$name" FAIL $((SECONDS - t_step)) "kmq batch failed: $(head -c 200 "$work"/err-*.txt)"
    elif [ $same = no ]; then
      step "$name" FAIL $((SECONDS - t_step)) "cpu and $gpu outputs differ"
    else
      step "$name" PASS $((SECONDS - t_step)) "cpu ${rate[cpu]}/s, $gpu ${rate[$gpu]}/s (blocking waits ${rate[blocking]}/s), decode+encode only $io_rate/s"
    fi
    unset rate
  done
done
cat "$table"
