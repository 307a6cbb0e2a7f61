#!/usr/bin/env bash
# kmq against its peers, file to file: the whole process of kmq, pngquant and
# ImageMagick, the clustering time of scikit-learn, OpenCV and FAISS, with the peak
# memory and the MSE of every tool's written file (all computed the same way).
#   bench/peers.sh [--quick | --small | --graphics] [--kmq build/kmq] [--cap SECONDS] [--out results/peers] [--k 16,64,256]
# Writes peers.md, peers.csv and peers.svg (peers-quick.* with --quick, peers-small.*
# with --small: the sub-megapixel inputs at K 16 and 64; peers-graphics.* with --graphics:
# icons and sprites with alpha, composited MSE, kmq, pngquant and ImageMagick only;
# -omp-active added to the name with --omp-active) into --out.
# Needs Debian's python3-pil, python3-numpy, python3-sklearn, python3-opencv, python3-faiss,
# pngquant, imagemagick and time (scripts/install-deps.sh --bench); a missing
# peer is skipped with a line saying so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/peers.py" "$@"
