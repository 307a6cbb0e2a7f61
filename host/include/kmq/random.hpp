// A small portable generator: std:: distributions differ between standard
// libraries, so every draw that decides a result comes from here.
#pragma once
#include <cstdint>

// The device's seeding loop (kernels/) draws with this very class, so that
// the CUDA backend's draws are the host's by construction.
#if defined(__CUDACC__)
#define KMQ_HOST_DEVICE __host__ __device__
#else
#define KMQ_HOST_DEVICE
#endif

namespace kmq {

// SplitMix64 (Steele, Lea, Flood 2014): 64-bit state, passes BigCrush, and its
// output is fully specified, so a seed means the same draws everywhere.
class seeded_random {
 public:
  KMQ_HOST_DEVICE explicit seeded_random(std::uint64_t seed) : state_(seed) {}

  // The whole state: seeded_random(state()) continues the same sequence.
  KMQ_HOST_DEVICE std::uint64_t state() const { return state_; }

  KMQ_HOST_DEVICE std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound), bound > 0, without modulo bias (Lemire's method
  // with rejection).
  KMQ_HOST_DEVICE std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const std::uint64_t r = next();
      if (r >= threshold) return r % bound;
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace kmq
