#include "environment_check.hpp"

#include <cstdlib>
#include <iostream>

namespace kmq::cli {

std::optional<std::uint64_t> pixel_threshold_of(const char* text) {
  const std::string digits = text == nullptr ? "" : text;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::strtoull(digits.c_str(), nullptr, 10);
}

std::vector<std::string> environment_warnings(const std::function<const char*(const char*)>& getenv) {
  std::vector<std::string> warnings;
  // As kernels/cuda_backend.cu reads it.
  if (const char* sync = getenv("KMQ_CUDA_SYNC")) {
    const std::string mode = sync;
    if (mode != "spin" && mode != "yield" && mode != "blocking") {
      warnings.push_back("KMQ_CUDA_SYNC='" + mode + "' is not spin, yield or blocking: CUDA's default is used");
    }
  }
  // Set but not read as a number by backend_policy.cpp.
  const char* pixels = getenv("KMQ_AUTO_GPU_MIN_PIXELS");
  if (pixels != nullptr && *pixels != '\0' && !pixel_threshold_of(pixels)) {
    warnings.push_back("KMQ_AUTO_GPU_MIN_PIXELS='" + std::string(pixels) +
                       "' is not a whole number of pixels: the default is used");
  }
  return warnings;
}

void warn_about_environment(const char* program) {
  for (const std::string& line : environment_warnings([](const char* name) { return std::getenv(name); })) {
    std::cerr << program << ": warning: " << line << '\n';
  }
}

}  // namespace kmq::cli
