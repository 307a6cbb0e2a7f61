#!/usr/bin/env bash
# Installs kmq's build and test dependencies from Debian packages. Idempotent and quiet:
# packages already present are skipped, so a second run costs one dpkg query.
#   --bench   also what bench/compare_peers.py, bench/quality.sh, bench/peers.sh and
#             bench/batch_throughput.sh compare against (scikit-learn, OpenCV, FAISS, pngquant, ImageMagick,
#             GNU parallel), Pillow (their image sets), GNU time (peak memory), hyperfine
#             (bench/startup.sh's wall times) and the packages
#             whose images bench/outside_set.py reads (scikit-image, matplotlib's data, Adwaita icons)
#   --fuzz    also clang and its sanitizer/libFuzzer runtime (bench/fuzz.sh)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libopencv-dev libpng-dev libjpeg62-turbo-dev libwebp-dev libtiff-dev zlib1g-dev
  libcxxopts-dev nlohmann-json3-dev libdeflate-dev
  # kmq serve: an HTTP server library and a zip writer (built into kmq-serve only, so kmq starts fast).
  libcpp-httplib-dev libzip-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # The HTML report's tests: two HTML validators, and a browser (with a font) that renders the page.
  tidy python3-html5lib chromium fonts-dejavu-core
  # The batch test on a real single-node Slurm cluster (a job array sharding one collection).
  slurmd slurmctld slurm-client munge
  # The README's Kubernetes job file, parsed by the test that runs its pods' command.
  python3-yaml
)
# kmq serve's end-to-end test runs playwright-core (npm) against that Chromium; a
# Node.js that is already there (with its npm) is kept.
command -v npm >/dev/null || packages+=(nodejs npm)
[ "${1:-}" = "--bench" ] && packages+=(python3 python3-numpy python3-opencv python3-sklearn python3-faiss python3-pil pngquant imagemagick time parallel
                                         hyperfine python3-skimage python-matplotlib-data adwaita-icon-theme
                                         mate-backgrounds gnome-backgrounds)
[ "${1:-}" = "--fuzz" ] && packages+=(clang libclang-rt-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
