// Eight clusters per operation for the CPU backend's inner loops (GCC/Clang
// vector extensions), and the clones those loops are built as. Inline and
// internal to the files that include it: include it after
// `#pragma GCC diagnostic ignored "-Wpsabi"`.
#pragma once
#include <cstdint>
#include <cstring>

#include "cpu_assign.hpp"
#include "target_clones.hpp"

namespace kmq::detail {

// Lowered to whatever the clone's instruction set has (two SSE registers or one AVX).
typedef float float_lanes __attribute__((vector_size(4 * centroid_lanes)));
typedef std::int32_t index_lanes __attribute__((vector_size(4 * centroid_lanes)));
constexpr index_lanes first_indices = {0, 1, 2, 3, 4, 5, 6, 7};
static_assert(centroid_lanes == 8, "first_indices lists one index per lane");

inline float_lanes load(const float* p) {
  float_lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The smallest lane, by halving: every lane ends up holding it.
// GCC and clang spell a constant lane shuffle differently; the lanes moved
// are the same, so both compilers give the same bits.
#if defined(__clang__)
#define KMQ_SHUFFLE(v, ...) __builtin_shufflevector((v), (v), __VA_ARGS__)
#else
#define KMQ_SHUFFLE(v, ...) __builtin_shuffle((v), index_lanes{__VA_ARGS__})
#endif

template <typename Lanes>
inline Lanes lowest_lanes(Lanes v) {
  v = v < KMQ_SHUFFLE(v, 4, 5, 6, 7, 0, 1, 2, 3) ? v : KMQ_SHUFFLE(v, 4, 5, 6, 7, 0, 1, 2, 3);
  v = v < KMQ_SHUFFLE(v, 2, 3, 0, 1, 6, 7, 4, 5) ? v : KMQ_SHUFFLE(v, 2, 3, 0, 1, 6, 7, 4, 5);
  v = v < KMQ_SHUFFLE(v, 1, 0, 3, 2, 5, 4, 7, 6) ? v : KMQ_SHUFFLE(v, 1, 0, 3, 2, 5, 4, 7, 6);
  return v;
}

// The sum of the lanes, by halving as lowest_lanes does.
inline std::int32_t lane_sum(index_lanes v) {
  v = v + KMQ_SHUFFLE(v, 4, 5, 6, 7, 0, 1, 2, 3);
  v = v + KMQ_SHUFFLE(v, 2, 3, 0, 1, 6, 7, 4, 5);
  v = v + KMQ_SHUFFLE(v, 1, 0, 3, 2, 5, 4, 7, 6);
  return v[0];
}

inline float lowest(float_lanes v) { return lowest_lanes(v)[0]; }
inline std::int32_t lowest(index_lanes v) { return lowest_lanes(v)[0]; }

}  // namespace kmq::detail
