// --backend auto for the images at hand: a GPU pays its driver's and
// context's start-up (tens to hundreds of milliseconds) before its first
// kernel, longer than the CPU takes for a small image. So auto does not even
// probe CUDA when every input is smaller than a threshold; the output is the
// same either way, only the time differs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/backend_select.hpp"

namespace kmq::cli {

// Images below this many pixels go to the CPU under --backend auto.
// Provisional: the crossover is measured by bench/device_kmq_command.sh on a
// GPU machine (its "--backend auto" table); KMQ_AUTO_GPU_MIN_PIXELS overrides.
constexpr std::uint64_t default_auto_gpu_min_pixels = 1u << 20;

// The threshold in force: KMQ_AUTO_GPU_MIN_PIXELS when set to a number, else the default.
std::uint64_t auto_gpu_min_pixels();

struct backend_decision {
  backend_choice choice;
  std::string why;  // empty when the choice was left as asked
};

// choice unchanged unless it is automatic, CUDA is compiled in, and every input (a regular file;
// "-", pipes, unreadable or unrecognised files count as large) has fewer pixels than
// min_pixels by its header; then cpu, with the reason for --verbose.
backend_decision decide_backend(backend_choice choice, const std::vector<std::string>& inputs,
                                std::uint64_t min_pixels);

}  // namespace kmq::cli
