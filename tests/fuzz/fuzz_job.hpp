// The fuzz target's input format, shared by the fuzzer and the regression
// test that replays what it found (tests/test_fuzz_regressions.cpp):
//
//   byte 0   palette size K = 1 + b0 % 16
//   byte 1   bit 0: --tol 0 (else 1e-4); bit 1: --init random (else kmeans++);
//            bit 2: --no-dedupe; bit 3: 2 restarts (else 1); bits 4-7: deflate level (b1 >> 4) % 13 (0-12, libdeflate)
//   byte 2   --max-iter 1 + b2 % 8
//   byte 3   --seed b3
//   rest     the image file, decoded from memory (any format, any damage)
//
// Inputs shorter than 4 bytes give an empty image (refused as "empty file").
// The limits are small so that no input can make one run slow: at most
// 2^20 pixels and 4 MiB of file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kmq/pipeline/image_job.hpp"

namespace kmq::fuzz {

constexpr std::size_t option_bytes = 4;
constexpr std::uint64_t max_pixels = std::uint64_t{1} << 20;
constexpr std::uint64_t max_file_bytes = std::uint64_t{4} << 20;

inline image_job job_from_fuzz_input(const std::uint8_t* data, std::size_t size) {
  std::uint8_t opt[option_bytes] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < option_bytes && i < size; ++i) opt[i] = data[i];
  const std::uint8_t* image = data + (size < option_bytes ? size : option_bytes);
  const std::size_t image_size = size < option_bytes ? 0 : size - option_bytes;

  image_job job;
  job.input = "fuzz-input";
  job.input_bytes = std::make_shared<const std::vector<std::uint8_t>>(image, image + image_size);
  // job.output stays empty: nothing is written, the PNG comes back in memory.
  job.quantize.kmeans.k = 1 + opt[0] % 16;
  job.quantize.kmeans.tol = (opt[1] & 1) ? 0.0 : 1e-4;
  job.quantize.kmeans.init = (opt[1] & 2) ? init_method::random : init_method::kmeanspp;
  job.quantize.dedupe = (opt[1] & 4) == 0;
  job.quantize.kmeans.restarts = (opt[1] & 8) ? 2 : 1;
  job.png_level = (opt[1] >> 4) % 13;
  job.quantize.kmeans.max_iter = 1 + opt[2] % 8;
  // The high bits of opt[2] (max_iter reads the low three): the variance split
  // alone, or automatic restarts, which add its run beside the seedings.
  if (opt[2] & 0x40) job.quantize.kmeans.init = init_method::variance_split;
  if (opt[2] & 0x80) job.quantize.kmeans.restarts = 0;
  job.quantize.kmeans.seed = opt[3];
  job.limits.max_pixels = max_pixels;
  job.limits.max_file_bytes = max_file_bytes;
  job.measure = true;
  job.keep_decoded = true;  // for the round-trip check of the written PNG
  job.on_out_of_memory = memory_fallback::none;
  return job;
}

}  // namespace kmq::fuzz
