// The rounding model that lets the CPU backend skip distances and still give
// the labels of a full scan: bounds on true (real-valued) distances, and the
// test that tells when they keep two computed squared distances apart.
#pragma once
#include <cmath>

namespace kmq::detail {

// Relative error bound of a computed squared distance: eleven float
// operations, each rounded by at most 2^-24, stay under 4e-7; 1e-5 leaves a
// wide safety factor.
constexpr float rounding = 1e-5f;
// Each float operation on a bound rounds by at most 2^-24 (6e-8) either way;
// widening by 5e-7 after a few of them keeps a lower bound below and an upper
// bound above the true distance.
constexpr float widen = 5e-7f;

// Bounds on a true distance from its computed square.
inline float upper_from(float squared) { return std::sqrt(squared * (1.0f + rounding)) * (1.0f + widen); }
inline float lower_from(float squared) { return std::sqrt(squared * (1.0f - rounding)) * (1.0f - widen); }

// Whether a point whose own centroid is within upper and another beyond
// lower keeps its label under computed distances: then the own computed
// distance is at most upper^2 (1 + rounding) and the other at least
// lower^2 (1 - rounding), and the test (with its own roundings) keeps them apart.
inline bool separated(float upper, float lower) {
  return lower > 0.0f && upper * upper * (1.0f + 4.0f * rounding) < lower * lower;
}

}  // namespace kmq::detail
