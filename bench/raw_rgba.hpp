// Raw RGBA8 files (4 bytes a pixel, no header) for the OpenCV-free tools on
// the GPU machine: kmq_raw and kmq_gpu_bench.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "kmq/error.hpp"
#include "kmq/pixels.hpp"

namespace kmq::bench {

// Exactly pixels * 4 bytes, packed; throws invalid_argument otherwise.
inline std::vector<packed_rgba> read_raw_rgba(const std::string& path, std::size_t pixels) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw error(error_kind::invalid_argument, "cannot open " + path);
  std::vector<unsigned char> bytes(pixels * 4 + 1);  // one more, to notice a longer file
  const std::size_t got = std::fread(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  if (got != pixels * 4) {
    throw error(error_kind::invalid_argument, path + ": expected " + std::to_string(pixels * 4) + " bytes, found " +
                                                  (got > pixels * 4 ? "more" : std::to_string(got)));
  }
  std::vector<packed_rgba> out(pixels);
  for (std::size_t p = 0; p < pixels; ++p) {
    const unsigned char* b = &bytes[p * 4];
    out[p] = pack_rgba(b[0], b[1], b[2], b[3]);
  }
  return out;
}

}  // namespace kmq::bench
