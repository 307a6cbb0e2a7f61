#!/usr/bin/env bash
# device_carry.sh: prepares, on this (Debian) machine, what a lent GPU machine
# lacks to build the real kmq command: the image libraries' headers and
# libraries (libpng, libjpeg-turbo, libwebp, libtiff and what libtiff links, libdeflate),
# nlohmann-json and cxxopts, unpacked from Debian's packages into
# .carry/sysroot, and GoogleTest's sources into .carry/googletest. The GPU
# machine has nvcc, CMake and Python but no OpenCV and no -dev packages of
# these; bench/device_check.sh builds kmq (KMQ_WITH_OPENCV=OFF) against the
# sysroot and runs it with the sysroot's shared libraries on LD_LIBRARY_PATH.
#
# Usage: bash bench/device_carry.sh      then: run(carry=[".carry"], ...)
# Idempotent: packages already downloaded are not fetched again. .carry/ is
# git-ignored; its size is printed (a device run carries at most 64 MiB).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
carry=$repo/.carry
debs=$carry/debs
sysroot=$carry/sysroot
mkdir -p "$debs" "$sysroot"

# The build's -dev packages and, recursively, what they depend on, less what
# every Linux machine has (the C and C++ runtimes and their own dependencies).
dev_packages=(libpng-dev libjpeg62-turbo-dev libwebp-dev libtiff-dev libdeflate-dev zlib1g-dev nlohmann-json3-dev libcxxopts-dev)
base='^(gcc-[0-9]+-base|libc-dev-bin|libc6|libc6-dev|libcom-err2|libcrypt.*|libgcc-s1|libgssapi.*|libk5crypto3|libkeyutils1|libkrb5.*|libnsl.*|libssl3|libstdc\+\+6|libtirpc.*|linux-libc-dev|rpcsvc-proto)$'
mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances "${dev_packages[@]}" 2>/dev/null |
  grep -v '^[ <]' | sort -u | grep -Ev "$base")

missing=()
for p in "${packages[@]}"; do
  compgen -G "$debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "device_carry: downloading ${missing[*]}"
  (cd "$debs" && apt-get download -qq "${missing[@]}")
fi
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done

# Absolute symbolic links (libfoo.so -> /lib/...) would point outside the
# sysroot on the GPU machine: make them relative.
find "$sysroot" -type l | while read -r link; do
  target=$(readlink "$link")
  case $target in
    /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$sysroot$target")" "$link" ;;
  esac
done

if [ ! -f "$carry/googletest/CMakeLists.txt" ] && [ -d /usr/src/googletest ]; then
  cp -r /usr/src/googletest "$carry/googletest"
fi
rm -rf "$sysroot/usr/share/doc" "$sysroot/usr/share/man" "$sysroot/usr/share/lintian"
echo "device_carry: ${#packages[@]} packages in $sysroot; .carry is $(du -sh "$carry" --exclude=debs | cut -f1)" \
  "(debs/ need not travel: carry .carry/sysroot and .carry/googletest)"
