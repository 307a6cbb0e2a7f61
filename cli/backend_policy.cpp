#include "backend_policy.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "environment_check.hpp"
#include "kmq/io/image_header.hpp"
#include "kmq/usable_cores.hpp"

namespace kmq::cli {
namespace {

// Enough for every header kmq sniffs, short of a JPEG whose frame header
// comes after a large EXIF block: that one counts as large (the GPU may be used).
constexpr std::size_t header_bytes = 256 * 1024;

std::uint64_t pixels_by_header(const std::string& path) {
  // Only a regular file can be read twice: the bytes of a pipe or FIFO read
  // here would be missing for the decoder.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return UINT64_MAX;
  std::ifstream in(path, std::ios::binary);
  if (!in) return UINT64_MAX;
  std::vector<std::uint8_t> head(header_bytes);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  const io::image_header header = io::sniff_image_header(head.data(), static_cast<std::size_t>(in.gcount()));
  return header.has_dimensions ? header.pixel_count() : UINT64_MAX;
}

std::uint64_t threshold_in_force(std::uint64_t fallback) {
  return pixel_threshold_of(std::getenv("KMQ_AUTO_GPU_MIN_PIXELS")).value_or(fallback);
}

}  // namespace

std::uint64_t auto_gpu_min_pixels(int cpu_threads) {
  const unsigned threads = static_cast<unsigned>(cpu_threads > 0 ? cpu_threads : usable_cores());
  return threshold_in_force(auto_gpu_pixels_per_cpu_thread * threads);
}

std::uint64_t batch_auto_gpu_min_pixels_in_force() { return threshold_in_force(batch_auto_gpu_min_pixels); }

backend_decision decide_backend(backend_choice choice, const std::vector<std::string>& inputs,
                                std::uint64_t min_pixels) {
  // Without CUDA there is nothing to avoid starting: no header is read twice.
  if (choice != backend_choice::automatic || !cuda_compiled_in() || inputs.empty() || min_pixels == 0) {
    return {choice, {}};
  }
  std::uint64_t largest = 0;
  for (const std::string& input : inputs) {
    if (input == "-") return {choice, {}};
    const std::uint64_t pixels = pixels_by_header(input);
    if (pixels >= min_pixels) return {choice, {}};
    if (pixels > largest) largest = pixels;
  }
  return {backend_choice::cpu, "every image is smaller than " + std::to_string(min_pixels) +
                                   " pixels (largest " + std::to_string(largest) +
                                   "): the CPU, without starting CUDA (KMQ_AUTO_GPU_MIN_PIXELS)"};
}

}  // namespace kmq::cli
