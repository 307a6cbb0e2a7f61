#!/usr/bin/env bash
# The output bytes of every sample image at K = 16, 64 and 256 on the CPU,
# against the SHA-256 hashes in sample_hashes.sha256. A change that alters
# output on purpose (alpha handling, a new encoder, a better refinement)
# regenerates the file with --update in the same commit and says why.
#   check_sample_hashes.sh KMQ_BINARY SOURCE_DIR [--update]
set -euo pipefail
kmq=$1
source_dir=$(cd "$2" && pwd)
hashes="$source_dir/tests/golden/sample_hashes.sha256"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for k in 16 64 256; do
  mkdir -p "$work/k$k"
  "$kmq" compress "$source_dir/sample_images" --out-dir "$work/k$k" -k "$k" --backend cpu -q
done
cd "$work"
if [ "${3:-}" = "--update" ]; then
  sha256sum k*/*.png >"$hashes"
  echo "updated $hashes"
  exit 0
fi
sha256sum --check --strict "$hashes"
