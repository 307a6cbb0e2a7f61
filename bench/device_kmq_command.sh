#!/usr/bin/env bash
# device_kmq_command.sh: the real kmq command on a GPU machine (issue #16),
# called by device_check.sh. CPU and GPU must write the same bytes (compress
# and batch); the whole process is timed against decoding alone, and the CUDA
# context's start-up apart; --backend auto's choice is recorded per size.
#
#   device_kmq_command.sh KMQ PHOTO WORK_DIR PYTHON BUDGET_S NO_GPU
# Prints "STEP|name|PASS/FAIL/SKIP/NOT RUN|seconds|note" lines for the check's table
# and writes WORK_DIR/timings.md. NO_GPU=1 rehearses: the "GPU" side is the
# CPU with one thread (same bytes expected), nothing is claimed about a GPU.
set -u
set -o pipefail
kmq=$1 photo=$2 work=$3 python=$4 budget=$5 no_gpu=$6
mkdir -p "$work"
rm -rf "${work:?}"/*
start_all=$SECONDS
step() { echo "STEP|$1|$2|$3|$4"; }
left() { echo $((budget - (SECONDS - start_all))); }
gpu=(--backend cuda)
gpu_name=cuda
[ "$no_gpu" = 1 ] && gpu=(--backend cpu --threads 1) && gpu_name="cpu --threads 1 (rehearsal)"

# ---- inputs ------------------------------------------------------------------
"$python" - "$photo" "$work" <<'PY' || { step "kmq command inputs" FAIL 0 "Pillow failed"; exit 0; }
import sys
from PIL import Image
photo, work = sys.argv[1], sys.argv[2]
source = Image.open(photo).convert("RGB")
uhd = source.resize((3840, 2160), Image.LANCZOS)
uhd.save(f"{work}/uhd.jpg", quality=90)
uhd.save(f"{work}/uhd.png")
source.resize((1920, 1080), Image.LANCZOS).save(f"{work}/hd.jpg", quality=90)
source.resize((7680, 4320), Image.LANCZOS).save(f"{work}/8k.jpg", quality=90)
for w, h in ((640, 360), (320, 180), (1280, 720)):
    source.resize((w, h), Image.LANCZOS).save(f"{work}/small-{w}x{h}.jpg", quality=90)
Image.new("RGB", (1, 1), (200, 100, 50)).save(f"{work}/one.png")
PY

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# wall_ms ARGS...: the best of three whole-process runs, in milliseconds.
wall_ms() {
  local best=999999999 t0 t
  for _ in 1 2 3; do
    t0=$(now_ms)
    "$kmq" "$@" >/dev/null 2>&1 || { echo -1; return; }
    t=$(($(now_ms) - t0))
    [ $t -lt $best ] && best=$t
  done
  echo $best
}
json_field() {  # JSON_FILE KEY -> the value of a top-level key
  "$python" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2],"?"))' "$1" "$2" 2>/dev/null
}
want_backend=cuda
[ "$no_gpu" = 1 ] && want_backend=cpu
stage() {  # JSON_FILE STAGE -> milliseconds
  "$python" -c 'import json,sys; print(round(1000*json.load(open(sys.argv[1]))["seconds"].get(sys.argv[2],0),1))' "$1" "$2"
}

# ---- bytes: CPU against GPU ----------------------------------------------------
for input in uhd.jpg uhd.png hd.jpg; do
  for k in 16 64 256; do
    name="kmq compress bytes $input k=$k"
    [ "$(left)" -lt 30 ] && { step "$name" "NOT RUN" 0 "no time left"; continue; }
    t0=$SECONDS
    "$kmq" compress "$work/$input" -o "$work/$input.k$k.cpu.png" --backend cpu -k "$k" -q 2>"$work/err.txt" &&
      "$kmq" compress "$work/$input" -o "$work/$input.k$k.gpu.png" "${gpu[@]}" -k "$k" --json \
        >"$work/$input.k$k.gpu.json" 2>>"$work/err.txt"
    rc=$?
    ran_on=$(json_field "$work/$input.k$k.gpu.json" backend)
    if [ $rc -ne 0 ]; then
      step "$name" FAIL $((SECONDS - t0)) "exit $rc: $(head -c 200 "$work/err.txt")"
    elif [ "$ran_on" != "$want_backend" ]; then
      step "$name" FAIL $((SECONDS - t0)) "the GPU side's JSON says backend '$ran_on', not $want_backend"
    elif cmp -s "$work/$input.k$k.cpu.png" "$work/$input.k$k.gpu.png"; then
      step "$name" PASS $((SECONDS - t0)) "identical ($gpu_name)"
    else
      step "$name" FAIL $((SECONDS - t0)) "cpu and $gpu_name outputs differ"
    fi
  done
done

# ---- bytes with --dither fs: its damping reads the palette's MSE -------------------
name="kmq compress bytes hd.jpg k=16 --dither fs"
if [ "$(left)" -lt 30 ]; then
  step "$name" "NOT RUN" 0 "no time left"
else
  t0=$SECONDS
  "$kmq" compress "$work/hd.jpg" -o "$work/hd.fs.cpu.png" --backend cpu -k 16 --dither fs -q 2>"$work/err.txt" &&
    "$kmq" compress "$work/hd.jpg" -o "$work/hd.fs.gpu.png" "${gpu[@]}" -k 16 --dither fs -q 2>>"$work/err.txt"
  rc=$?
  if [ $rc -ne 0 ]; then
    step "$name" FAIL $((SECONDS - t0)) "exit $rc: $(head -c 200 "$work/err.txt")"
  elif cmp -s "$work/hd.fs.cpu.png" "$work/hd.fs.gpu.png"; then
    step "$name" PASS $((SECONDS - t0)) "identical ($gpu_name)"
  else
    step "$name" FAIL $((SECONDS - t0)) "cpu and $gpu_name outputs differ"
  fi
fi

# ---- batch: CPU against GPU -------------------------------------------------------
if [ "$(left)" -gt 40 ]; then
  mkdir -p "$work/batch-in" && cp "$work"/small-*.jpg "$work/hd.jpg" "$work/batch-in/"
  t0=$SECONDS
  "$kmq" batch "$work/batch-in" -d "$work/batch-cpu" --backend cpu -k 64 --progress none 2>"$work/err.txt" &&
    "$kmq" batch "$work/batch-in" -d "$work/batch-gpu" "${gpu[@]}" -k 64 --progress none 2>>"$work/err.txt"
  rc=$?
  if [ $rc -ne 0 ]; then
    step "kmq batch bytes (4 images, k=64)" FAIL $((SECONDS - t0)) "exit $rc: $(head -c 200 "$work/err.txt")"
  elif diff -r "$work/batch-cpu" "$work/batch-gpu" >/dev/null; then
    step "kmq batch bytes (4 images, k=64)" PASS $((SECONDS - t0)) "identical ($gpu_name)"
  else
    step "kmq batch bytes (4 images, k=64)" FAIL $((SECONDS - t0)) "outputs differ"
  fi
  # --backend auto: the backends are made beside the first decodes (kmq batch's overlap), and hd.jpg is
  # above KMQ_AUTO_GPU_MIN_PIXELS, so every image must go to the GPU where one answers.
  want=$want_backend
  t0=$SECONDS
  "$kmq" batch "$work/batch-in" -d "$work/batch-auto" --backend auto -k 64 --progress none --json \
    >"$work/batch-auto.jsonl" 2>"$work/err.txt"
  rc=$?
  chose=$("$python" -c 'import json,sys; print(",".join(sorted({json.loads(l).get("backend","?") for l in open(sys.argv[1]) if l.strip()})))' \
    "$work/batch-auto.jsonl" 2>/dev/null)
  if [ $rc -ne 0 ]; then
    step "kmq batch --backend auto (4 images, k=64)" FAIL $((SECONDS - t0)) "exit $rc: $(head -c 200 "$work/err.txt")"
  elif ! diff -r "$work/batch-cpu" "$work/batch-auto" >/dev/null; then
    step "kmq batch --backend auto (4 images, k=64)" FAIL $((SECONDS - t0)) "outputs differ from --backend cpu"
  elif [ "$chose" != "$want" ]; then
    step "kmq batch --backend auto (4 images, k=64)" FAIL $((SECONDS - t0)) "auto ran on '$chose', expected $want"
  else
    step "kmq batch --backend auto (4 images, k=64)" PASS $((SECONDS - t0)) "identical to cpu; auto ran on $chose"
  fi
else
  step "kmq batch bytes (4 images, k=64)" "NOT RUN" 0 "no time left"
  step "kmq batch --backend auto (4 images, k=64)" "NOT RUN" 0 "no time left"
fi

# ---- time: whole process, decode alone, CUDA start-up --------------------------------
table=$work/timings.md
left_out=()
{
  echo "kmq command, whole process (best of 3 wall ms), GPU side: $gpu_name"
  echo
  cpu_one=$(wall_ms compress "$work/one.png" -o "$work/one.cpu.png" --force --backend cpu -q)
  gpu_one=$(wall_ms compress "$work/one.png" -o "$work/one.gpu.png" --force "${gpu[@]}" -q)
  context=$((gpu_one - cpu_one))
  echo "1x1 PNG: cpu ${cpu_one} ms, $gpu_name ${gpu_one} ms: start-up of the GPU side ${context} ms"
  echo
  echo "| input | K | backend | wall ms | wall - start-up | decode ms | histogram | seed | iterate | refine | map | metrics | encode | write | (wall - start-up) / decode |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for input in uhd.jpg uhd.png; do
    for k in 16 256; do
      [ "$(left)" -lt 20 ] && { left_out+=("$input k=$k"); continue; }
      for side in cpu gpu; do
        args=(--backend cpu)
        start_up=0
        [ $side = gpu ] && args=("${gpu[@]}") && start_up=$context
        json=$work/$input.k$k.$side.json
        "$kmq" compress "$work/$input" -o "$work/t.png" --force "${args[@]}" -k "$k" --json >"$json" 2>/dev/null
        wall=$(wall_ms compress "$work/$input" -o "$work/t.png" --force "${args[@]}" -k "$k" -q)
        decode=$(stage "$json" decode)
        net=$((wall - start_up))
        ratio=$("$python" -c "print(f'{$net/$decode:.2f}x' if $decode > 0 else '-')")
        echo "| $input | $k | ${args[*]} | $wall | $net | $decode | $(stage "$json" histogram) | $(stage "$json" seed) |" \
          "$(stage "$json" iterate) | $(stage "$json" refine) | $(stage "$json" map) | $(stage "$json" metrics) |" \
          "$(stage "$json" encode) | $(stage "$json" write) | $ratio |"
      done
    done
  done
  echo
  echo "--backend auto: which backend it chose, and the wall time of each (ms)"
  echo
  echo "| input | auto chose | auto ms | cpu ms | $gpu_name ms |"
  echo "|---|---|---|---|---|"
  for input in one.png small-320x180.jpg small-640x360.jpg small-1280x720.jpg hd.jpg uhd.jpg 8k.jpg; do
    [ "$(left)" -lt 15 ] && { left_out+=("auto $input"); continue; }
    chose=$("$kmq" compress "$work/$input" -o "$work/a.png" --force --backend auto -k 64 --json 2>/dev/null |
      "$python" -c 'import json,sys; print(json.load(sys.stdin).get("backend","?"))')
    echo "| $input | $chose | $(wall_ms compress "$work/$input" -o "$work/a.png" --force --backend auto -k 64 -q) |" \
      "$(wall_ms compress "$work/$input" -o "$work/a.png" --force --backend cpu -k 64 -q) |" \
      "$(wall_ms compress "$work/$input" -o "$work/a.png" --force "${gpu[@]}" -k 64 -q) |"
  done
} >"$table" 2>&1
cat "$table"
if [ ${#left_out[@]} -eq 0 ]; then
  step "kmq command timings" PASS $((SECONDS - start_all)) "table in kmq_command.md"
else
  step "kmq command timings" "NOT RUN" $((SECONDS - start_all)) "no time left for: ${left_out[*]}"
fi
