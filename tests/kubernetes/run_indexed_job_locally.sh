#!/usr/bin/env bash
# The README's Kubernetes Indexed Job, without a cluster: the manifest is
# parsed (it must be an Indexed Job whose --shard-count is its completions),
# and its container command is run once per completion index with
# JOB_COMPLETION_INDEX set, as the pods would run it, over a small tree. The
# union of the outputs must equal one process's run byte for byte, and every
# input must be in exactly one manifest line. (No scheduler: what is tested is
# the job file and kmq's sharding under it; tests/slurm/run_slurm_batch.sh runs
# a real Slurm.)
#   run_indexed_job_locally.sh KMQ_BINARY SOURCE_DIR
set -euo pipefail
kmq=$(realpath "$1")
[ -x "$kmq" ] || { echo "FAIL: $1 is not an executable kmq" >&2; exit 1; }
source_dir=$(cd "$2" && pwd)
python=/usr/bin/python3
"$python" -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed (scripts/install-deps.sh)" >&2; exit 77; }
work=$(mktemp -d /tmp/kmq-indexed-job.XXXXXX)
trap 'rm -rf "$work"' EXIT

s=$source_dir/sample_images
mkdir -p "$work/photos/a" "$work/photos/b"
cp "$s/chelsea.png" "$s/fruits.jpg" "$work/photos/a/"
cp "$s/fruits.jpg" "$work/photos/a/chelsea.jpg"  # a clash with chelsea.png
cp "$s/coffee.png" "$work/photos/b/"

awk '/^Kubernetes Indexed Job/ { found = 1 } found && /^```yaml/ { body = 1; next } body && /^```/ { exit } body { print }' \
  "$source_dir/README.md" >"$work/job.yaml"
# The container's command, and the completions, from the manifest.
"$python" - "$work/job.yaml" "$work" <<'EOF'
import shlex, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
work = sys.argv[2]
assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1", "not a batch/v1 Job"
spec = job["spec"]
assert spec.get("completionMode") == "Indexed", "not an Indexed Job"
completions = int(spec["completions"])
container = spec["template"]["spec"]["containers"][0]
command = container["command"] + container["args"]
assert command[:2] == ["sh", "-c"], f"expected sh -c, got {command[:2]}"
script = command[2]
words = shlex.split(script)
assert "--shard-count" in words and int(words[words.index("--shard-count") + 1]) == completions, \
    f"--shard-count must be the Job's completions ({completions})"
assert "auto" == words[words.index("--shard") + 1], "--shard auto expected"
open(f"{work}/completions", "w").write(str(completions))
open(f"{work}/pod.sh", "w").write(script.replace("/data/photos", f"{work}/photos")
                                        .replace("/data/palette", f"{work}/palette")
                                        .replace("exec kmq ", "exec \"$KMQ\" ", 1))
EOF
completions=$(cat "$work/completions")
grep -q 'exec "$KMQ"' "$work/pod.sh" || { echo "FAIL: the container command does not exec kmq" >&2; exit 1; }
for ((i = 0; i < completions; i++)); do
  KMQ=$kmq JOB_COMPLETION_INDEX=$i sh "$work/pod.sh" >"$work/pod-$i.log" 2>&1 || {
    echo "FAIL: pod $i exited $?" >&2; cat "$work/pod-$i.log" >&2; exit 1; }
done
# One process: the same command as the only shard of one.
sed -e "s#--shard auto --shard-count $completions#--shard 0/1#" -e "s#$work/palette#$work/one#g" "$work/pod.sh" >"$work/one.sh"
grep -q -- '--shard 0/1' "$work/one.sh" || { echo "FAIL: cannot turn the pod command into one process" >&2; exit 1; }
KMQ=$kmq JOB_COMPLETION_INDEX=0 sh "$work/one.sh" >"$work/one.log" 2>&1 || { echo "FAIL: one process failed" >&2; cat "$work/one.log" >&2; exit 1; }

fail=0
(cd "$work/palette" && find . -type f ! -name '.*' | sort) >"$work/pods.list"
(cd "$work/one" && find . -type f ! -name '.*' | sort) >"$work/one.list"
diff -u "$work/one.list" "$work/pods.list" >&2 || { echo "FAIL: the pods wrote other files than one process" >&2; fail=1; }
[ "$(wc -l <"$work/one.list")" -eq 4 ] || { echo "FAIL: expected 4 outputs, one process wrote $(wc -l <"$work/one.list")" >&2; fail=1; }
while read -r f; do
  cmp -s "$work/one/$f" "$work/palette/$f" || { echo "FAIL: $f differs between the pods and one process" >&2; fail=1; }
done <"$work/pods.list"
"$python" - "$work"/palette/.manifest-*.jsonl <<'EOF' || fail=1
import json, sys
inputs = [json.loads(line)["input"] for m in sys.argv[1:] for line in open(m).read().splitlines()]
if len(inputs) != 4 or len(set(inputs)) != 4:
    sys.exit(f"FAIL: the pods' manifests do not name each of the 4 inputs once: {sorted(inputs)}")
EOF
[ $fail -eq 0 ] && echo "PASS: $completions indexed pods (run locally) wrote what one process writes"
exit $fail
