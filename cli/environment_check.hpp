// The settings kmq reads from the environment, checked once at start. The
// code that reads one ignores a value it cannot use (the library prints
// nothing), so without this a typo would change nothing, silently.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kmq::cli {

// KMQ_AUTO_GPU_MIN_PIXELS's value read: digits only ("-1" or " 5" would pass
// strtoull), else nothing (the default then holds, and a warning says so).
std::optional<std::uint64_t> pixel_threshold_of(const char* text);

// One line per unusable value, e.g. "KMQ_CUDA_SYNC='block' is not spin,
// yield or blocking: CUDA's default is used"; empty when all are usable.
// getenv: the environment's lookup (std::getenv; a map in tests).
std::vector<std::string> environment_warnings(const std::function<const char*(const char*)>& getenv);

// Prints each as "PROGRAM: warning: ..." on stderr.
void warn_about_environment(const char* program);

}  // namespace kmq::cli
