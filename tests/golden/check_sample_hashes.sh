#!/usr/bin/env bash
# The output bytes of every sample image at K = 16, 64 and 256 on the CPU,
# against the SHA-256 hashes in sample_hashes.sha256, made under the output
# revision in sample_hashes.revision. A change that alters output on purpose
# (alpha handling, a new encoder, a better refinement) raises
# kmq::output_revision (host/include/kmq/output_revision.hpp) and regenerates
# both files with --update in the same commit, saying why. --update refuses
# new hashes under the revision the old ones were made with: kmq batch's
# resume trusts that revision to tell outputs of another kmq.
#   check_sample_hashes.sh KMQ_BINARY SOURCE_DIR [--update]
set -euo pipefail
kmq=$1
source_dir=$(cd "$2" && pwd)
hashes="$source_dir/tests/golden/sample_hashes.sha256"
revision_file="$source_dir/tests/golden/sample_hashes.revision"
revision=$("$kmq" --version | sed -n 's/^output revision: //p')
recorded=$(cat "$revision_file")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for k in 16 64 256; do
  mkdir -p "$work/k$k"
  "$kmq" compress "$source_dir/sample_images" --out-dir "$work/k$k" -k "$k" --backend cpu -q
done
cd "$work"
if [ "${3:-}" = "--update" ]; then
  sha256sum k*/*.png >new.sha256
  if ! cmp -s new.sha256 "$hashes" && [ "$revision" = "$recorded" ]; then
    echo "the output bytes changed but kmq::output_revision is still $revision:" \
      "raise it in host/include/kmq/output_revision.hpp, rebuild, and run --update again" >&2
    exit 1
  fi
  cp new.sha256 "$hashes"
  echo "$revision" >"$revision_file"
  echo "updated $hashes (output revision $revision)"
  exit 0
fi
if ! sha256sum --check --strict --quiet "$hashes"; then
  echo "the output bytes changed; if on purpose, raise kmq::output_revision and run $0 --update" >&2
  exit 1
fi
if [ "$revision" != "$recorded" ]; then
  echo "kmq::output_revision is $revision but the hashes were made under $recorded: run $0 --update" >&2
  exit 1
fi
echo "sample hashes match (output revision $revision)"
