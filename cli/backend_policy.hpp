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

// kmq compress pays the CUDA context once per process: 290 ms on the H100
// machine of results/gpu/2026-11-27-h100 (its kmq_command.md). There, with
// 16 CPU threads, the CPU finished every image up to 3840x2160 sooner than the
// GPU and its start-up, at K = 16, 64 and 256; at 7680x4320 (33 MP) the GPU
// saved 143 ms at K=256 and lost 60 ms at K=16: the crossover is about 2 MP
// per CPU thread. The CPU's share of the time falls with its threads, so the
// threshold is scaled by them (2 threads: 4 MP, so a 4K image goes to a GPU).
constexpr std::uint64_t auto_gpu_pixels_per_cpu_thread = std::uint64_t{1} << 21;

// kmq batch pays it once per collection: there a collection of images below
// 1 MP stays on the CPU (the same machine's batch of 200 HD photos ran 1.16-1.19x
// faster on the GPU).
constexpr std::uint64_t batch_auto_gpu_min_pixels = std::uint64_t{1} << 20;

// The threshold in force for kmq compress with cpu_threads CPU threads (0 =
// every core): KMQ_AUTO_GPU_MIN_PIXELS when set to a number, else
// auto_gpu_pixels_per_cpu_thread per thread.
std::uint64_t auto_gpu_min_pixels(int cpu_threads);
// The same for kmq batch: KMQ_AUTO_GPU_MIN_PIXELS, else batch_auto_gpu_min_pixels.
std::uint64_t batch_auto_gpu_min_pixels_in_force();

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
