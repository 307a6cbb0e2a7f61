#!/usr/bin/env bash
# The output bytes of kmq on the CPU against the SHA-256 hashes in
# sample_hashes.sha256, made under the output revision in
# sample_hashes.revision: every sample image at K = 16, 64 and 256, and the
# paths those do not take (K=128, dithering, --space oklab, --quality, an
# image with alpha: sprite-rgba-128.png, made by bench/quality_set.py's
# sprite() from the astronaut sample).
#
# A change that alters output on purpose raises kmq::output_revision
# (host/include/kmq/output_revision.hpp) and regenerates both files with
# --update in the same commit, saying why. --update refuses changed hashes
# unless the revision rose: kmq batch's resume trusts that revision to tell
# the outputs of another kmq. A case added or removed changes no revision.
#   check_sample_hashes.sh KMQ_BINARY SOURCE_DIR [--update]
set -euo pipefail
kmq=$1
source_dir=$(cd "$2" && pwd)
golden="$source_dir/tests/golden"
hashes="$golden/sample_hashes.sha256"
revision_file="$golden/sample_hashes.revision"
usage="$0 $kmq $2 --update"
if ! version=$("$kmq" --version); then
  echo "$kmq --version failed" >&2
  exit 1
fi
revision=$(sed -n 's/^output revision: //p' <<<"$version")
if ! [[ $revision =~ ^[0-9]+$ ]]; then
  echo "cannot read the output revision from $kmq --version (a kmq from before it was named?)" >&2
  exit 1
fi
recorded=$(cat "$revision_file" 2>/dev/null || true)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for k in 16 64 256; do
  mkdir -p "$work/k$k"
  "$kmq" compress "$source_dir/sample_images" --out-dir "$work/k$k" -k "$k" --backend cpu -q
done
mkdir -p "$work/paths"
chelsea="$source_dir/sample_images/chelsea.png"
sprite="$golden/sprite-rgba-128.png"
"$kmq" compress "$chelsea" -o "$work/paths/chelsea-k128.png" -k 128 --backend cpu -q
"$kmq" compress "$chelsea" -o "$work/paths/chelsea-k16-fs.png" -k 16 --dither fs --backend cpu -q
"$kmq" compress "$chelsea" -o "$work/paths/chelsea-k16-oklab.png" -k 16 --space oklab --backend cpu -q
"$kmq" compress "$chelsea" -o "$work/paths/chelsea-quality-30-36.png" --quality 30-36 --backend cpu -q
"$kmq" compress "$sprite" -o "$work/paths/sprite-k16.png" -k 16 --backend cpu -q
"$kmq" compress "$sprite" -o "$work/paths/sprite-k64.png" -k 64 --backend cpu -q
cd "$work"
if [ "${3:-}" = "--update" ]; then
  sha256sum k*/*.png paths/*.png >new.sha256
  # Cases in both files whose bytes differ (a case added or removed is no change of output).
  changed=$(join -j 2 <(sort -k 2 "$hashes" 2>/dev/null || true) <(sort -k 2 new.sha256) | awk '$2 != $3 {print $1}')
  if [ -n "$changed" ] && ! [[ $recorded =~ ^[0-9]+$ && $revision -gt $recorded ]]; then
    echo "the output bytes of $(echo $changed) changed, but kmq::output_revision is $revision" \
      "(the hashes were made under ${recorded:-none}): raise it in host/include/kmq/output_revision.hpp," \
      "rebuild, and run $usage again" >&2
    exit 1
  fi
  cp new.sha256 "$hashes"
  echo "$revision" >"$revision_file"
  echo "updated $hashes (output revision $revision)"
  exit 0
fi
if [ "$revision" != "$recorded" ]; then
  echo "kmq::output_revision is $revision but the hashes were made under ${recorded:-none}: run $usage" >&2
  exit 1
fi
if ! sha256sum --check --strict --quiet "$hashes"; then
  echo "the output bytes changed under output revision $revision; if on purpose, raise kmq::output_revision" \
    "(host/include/kmq/output_revision.hpp), rebuild, and run $usage" >&2
  exit 1
fi
echo "sample hashes match (output revision $revision)"
