#!/usr/bin/env bash
# kmq batch on a real single-node Slurm cluster: munged, slurmctld and slurmd
# started in a temporary directory (own key, socket, ports, state and spool),
# the README's job-array script submitted with --array=0-3 --wait over a small
# tree, and then: the union of the four shards' outputs equals one process's
# run of the same script byte for byte, and every input is in exactly one
# manifest line across the four manifests (each line valid JSON, status ok).
# Exits 77 (skipped) only where the daemons cannot be started at all.
#   run_slurm_batch.sh KMQ_BINARY SOURCE_DIR [LOG_FILE]
set -euo pipefail
kmq=$(realpath "$1")
[ -x "$kmq" ] || { echo "FAIL: $1 is not an executable kmq" >&2; exit 1; }
source_dir=$(cd "$2" && pwd)
log_copy=${3:-}
python=/usr/bin/python3

skip() { echo "SKIP: $*" >&2; exit 77; }
for tool in munged munge slurmctld slurmd sbatch sinfo; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh installs slurmd slurmctld slurm-client munge)"
done
# slurmd starts jobs as their owner and must be root for that; munged and slurmctld as another user are not enough.
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root to start jobs, and this test runs as $(id -un) (no cluster is started with sudo from a test)"

work=$(mktemp -d /tmp/kmq-slurm.XXXXXX)
chmod 755 "$work"  # munged wants its socket's folder searchable by all
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ $status -ne 0 ] && [ $status -ne 77 ]; then
    echo "--- logs of the failed run (from $work) ---" >&2
    tail -n 30 "$work"/log/* >&2 2>/dev/null || true
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work"/{munge,state,spool,log,src,out,ref}

# --- a small tree: subfolders, a name clash, a hidden file and a non-image (left out) ---
s=$source_dir/sample_images
mkdir -p "$work/src/a" "$work/src/b/c"
cp "$s/chelsea.png" "$s/fruits.jpg" "$work/src/a/"
cp "$s/chelsea.png" "$work/src/a/clash.png"
cp "$s/fruits.jpg" "$work/src/a/clash.jpg"
cp "$s/coffee.png" "$s/baboon.jpg" "$work/src/b/"
cp "$s/astronaut.png" "$work/src/b/c/"
cp "$s/baboon.jpg" "$work/src/b/c/.hidden.jpg"
echo "not an image" >"$work/src/b/notes.txt"
inputs=7

# --- munge with its own key and socket ---
dd if=/dev/urandom of="$work/munge/key" bs=1024 count=1 status=none
chmod 700 "$work/munge"; chmod 400 "$work/munge/key"
munged -F -f --key-file="$work/munge/key" --socket="$work/munge/socket" --pid-file="$work/munge/pid" \
  --log-file="$work/log/munged.log" --seed-file="$work/munge/seed" >"$work/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/socket" ] && break; sleep 0.1; done
munge -S "$work/munge/socket" -n </dev/null | unmunge -S "$work/munge/socket" >/dev/null 2>&1 ||
  skip "munged did not start: $(tail -n 3 "$work/log/munged.out" "$work/log/munged.log" 2>/dev/null | tr '\n' ' ')"

# --- slurm.conf: free ports, this machine's CPUs, no cgroups ---
read -r ctld_port slurmd_port < <("$python" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
cpus=$(nproc)
cat >"$work/slurm.conf" <<EOF
ClusterName=kmqtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
InactiveLimit=0
KillWait=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=kmq Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
up=0
for _ in $(seq 100); do
  if [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ]; then up=1; break; fi
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || skip "a Slurm daemon exited at start: $(tail -n 3 "$work"/log/slurm*.out | tr '\n' ' ')"; done
  sleep 0.2
done
[ $up -eq 1 ] || skip "the node did not come up in 20 s: $(sinfo 2>&1 | tr '\n' ' ')"

# --- the README's job-array script, pointed at this tree ---
awk '/^Slurm job array/ { found = 1 } found && /^```sh/ { body = 1; next } body && /^```/ { exit } body { print }' \
  "$source_dir/README.md" >"$work/readme-job.sh"
grep -q '^#SBATCH --array' "$work/readme-job.sh" || { echo "FAIL: no Slurm job-array script found in README.md" >&2; exit 1; }
sed -e "s#/data/photos#$work/src#g" -e "s#/data/palette#$work/out#g" -e "s#^kmq batch#\"$kmq\" batch#" \
  "$work/readme-job.sh" >"$work/job.sh"
grep -q "\"$kmq\" batch" "$work/job.sh" || { echo "FAIL: the README's job script does not start with 'kmq batch'" >&2; exit 1; }
chmod +x "$work/job.sh"

# The command line overrides the script's size (16 tasks of 8 cores, 8G) for this one small node.
start=$(date +%s.%N)
sbatch --array=0-3 --cpus-per-task=1 --mem=0 --time=5 --wait --chdir="$work" \
  --output="$work/log/task-%a.out" "$work/job.sh" >"$work/log/sbatch.out" 2>&1 || {
  echo "FAIL: sbatch --wait reported a failed task" >&2; cat "$work/log/sbatch.out" "$work"/log/task-*.out >&2; exit 1; }
end=$(date +%s.%N)

# --- the same script in one process, as shard 0 of 1 ---
sed -e "s#$work/out#$work/ref#g" "$work/job.sh" >"$work/ref-job.sh"
SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=1 SLURM_ARRAY_TASK_MIN=0 SLURM_CPUS_PER_TASK=2 \
  bash "$work/ref-job.sh" >"$work/log/reference.out" 2>&1 || {
  echo "FAIL: the single-process run failed" >&2; cat "$work/log/reference.out" >&2; exit 1; }

# --- checks ---
fail=0
(cd "$work/out" && find . -type f ! -name '.*' | sort) >"$work/out.list"
(cd "$work/ref" && find . -type f ! -name '.*' | sort) >"$work/ref.list"
if ! diff -u "$work/ref.list" "$work/out.list" >&2; then echo "FAIL: the shards wrote other files than one process" >&2; fail=1; fi
[ -s "$work/ref.list" ] || { echo "FAIL: one process wrote nothing" >&2; fail=1; }
while read -r f; do
  cmp -s "$work/ref/$f" "$work/out/$f" || { echo "FAIL: $f differs between the shards and one process" >&2; fail=1; }
done <"$work/out.list"
manifests=("$work"/out/.manifest-*.jsonl)
[ ${#manifests[@]} -eq 4 ] || { echo "FAIL: expected 4 manifests, found ${#manifests[@]}" >&2; fail=1; }
"$python" - $inputs "$work/out" "$work/ref/.manifest-0.jsonl" "${manifests[@]}" <<'EOF' || fail=1
import json, sys
count, out, reference, manifests = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f.read().splitlines()]  # raises on a line that is not JSON
expected = {r["input"]: (r["output"].replace(out.replace("/out", "/ref"), out, 1), r["status"]) for r in lines(reference)}
if len(expected) != int(count):
    sys.exit(f"FAIL: one process recorded {len(expected)} inputs, the tree has {count}")
seen = {}
for m in manifests:
    for r in lines(m):
        if r["status"] not in ("ok", "skipped_larger"):
            sys.exit(f"FAIL: {m}: {r['input']} is {r['status']}: {r.get('reason')}")
        seen.setdefault(r["input"], []).append(m)
        if (r["output"], r["status"]) != expected.get(r["input"]):
            sys.exit(f"FAIL: {r['input']}: {r['output']} {r['status']}, one process: {expected.get(r['input'])}")
twice = {i: ms for i, ms in seen.items() if len(ms) != 1}
if twice: sys.exit(f"FAIL: inputs in more than one manifest line: {twice}")
if set(seen) != set(expected):
    sys.exit(f"FAIL: inputs missing from the shards' manifests: {sorted(set(expected) - set(seen))}; "
             f"extra: {sorted(set(seen) - set(expected))}")
per = {m.rsplit("/", 1)[1]: sum(1 for ms in seen.values() if ms[0] == m) for m in manifests}
print(f"{len(seen)} inputs, each in exactly one manifest line: {per}")
EOF
for a in 0 1 2 3; do grep -h '^kmq batch: [0-9]* inputs' "$work/log/task-$a.out" | sed "s/^/task $a: /"; done
echo "sbatch --array=0-3 --wait: $(echo "$end - $start" | bc) s on $(uname -n) ($cpus CPUs, $(sinfo -V))"
if [ -n "$log_copy" ]; then
  { echo "# $(date -u +%FT%TZ) $(uname -n), $cpus CPUs, $(sinfo -V), munge $(munged -V 2>&1 | head -1)"
    echo "## job script (the README's, paths replaced)"; cat "$work/job.sh"
    echo "## sbatch"; cat "$work/log/sbatch.out"
    for a in 0 1 2 3; do echo "## task $a"; cat "$work/log/task-$a.out"; done
    echo "## manifests (input -> output, status)"
    for m in "${manifests[@]}"; do jq -r --arg m "${m##*/}" '"\($m): \(.input) -> \(.output) \(.status)"' "$m" 2>/dev/null || cat "$m"; done
    echo "## one process"; cat "$work/log/reference.out"
    echo "## slurmctld: scheduling"; grep -E 'Allocate|_job_complete' "$work/log/slurmctld.log" || true
    echo "## result: $([ $fail -eq 0 ] && echo PASS || echo FAIL)"; } | sed -e "s#$work#\$WORK#g" -e "s#\"$kmq\"#kmq#g" >"$log_copy"
fi
[ $fail -eq 0 ] && echo "PASS: the union of 4 Slurm array tasks equals one process, byte for byte"
exit $fail
