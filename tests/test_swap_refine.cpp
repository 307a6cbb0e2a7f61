// The swap step after Hartigan's method: never raises the error of the
// partition (property test on random weighted sets, empty clusters included),
// reports the error a plain recomputation gives, leaves a partition that
// Hartigan's one-point moves cannot (two clusters on one blob, one on two),
// and decides the same way every time.
#include <gtest/gtest.h>

#include <vector>

#include "../host/src/hartigan.hpp"
#include "../host/src/swap_refine.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

using detail::hartigan_params;
using detail::hartigan_refine;
using detail::partition_wcss;
using detail::swap_params;
using detail::swap_refine;

using testing::weighted_set;

// Clustered colours with random weights, labelled at random (some clusters
// possibly left empty when `leave_empty`).
weighted_set random_set(std::uint64_t seed, int k, bool with_alpha, bool leave_empty) {
  seeded_random random(seed);
  weighted_set set;
  const std::vector<packed_rgba> pixels = testing::clustered_with_noise(300 + 23 * seed, 2 + static_cast<int>(seed % 9), with_alpha, seed);
  for (packed_rgba p : pixels) {
    set.points.push_back(p);
    set.weights.push_back(1 + static_cast<std::uint32_t>(random.below(set.points.size() % 4 == 0 ? 500 : 4)));
    const std::uint64_t labels = leave_empty ? static_cast<std::uint64_t>(k - 1) : static_cast<std::uint64_t>(k);
    set.labels.push_back(static_cast<std::uint32_t>(random.below(labels)));
  }
  return set;
}

TEST(SwapRefine, NeverRaisesTheErrorAndReportsItExactly) {
  int accepted = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const int k = 3 + static_cast<int>(seed % 14);
    weighted_set set = random_set(seed, k, seed % 2 == 0, seed % 5 == 0);
    // From Hartigan's optimum, as the refinement runs it.
    hartigan_refine(set.points, set.weights, set.labels, k, hartigan_params{});
    const double before = partition_wcss(set.points, set.weights, set.labels, k);
    swap_params params;
    params.max_trials = 1 + static_cast<int>(seed % 12);
    params.neighbours = static_cast<int>(seed % 9);  // 0 to 8, the most the refinement asks for (at K=256)
    const auto outcome = swap_refine(set.points, set.weights, set.labels, k, params);
    const double after = partition_wcss(set.points, set.weights, set.labels, k);
    EXPECT_NEAR(outcome.wcss_before, before, before * 1e-9) << "seed " << seed;
    EXPECT_NEAR(outcome.wcss_after, after, before * 1e-9) << "seed " << seed;
    EXPECT_LE(after, before * (1 + 1e-12)) << "seed " << seed;
    EXPECT_LE(outcome.trials, params.max_trials);
    if (outcome.accepted > 0) {
      EXPECT_LT(after, before) << "seed " << seed << ": a kept swap lowers the error";
      ++accepted;
    } else {
      EXPECT_EQ(outcome.wcss_after, outcome.wcss_before) << "seed " << seed;
    }
    for (std::uint32_t label : set.labels) ASSERT_LT(label, static_cast<std::uint32_t>(k));
  }
  EXPECT_GT(accepted, 0) << "no swap was kept on any of the random sets: the step does nothing";
}

// Three tight blobs; the partition starts with two clusters on the first blob
// and one on the other two. Every point is nearest its own cluster's mean and
// no single move pays, so Lloyd and Hartigan keep it; one swap (merge the
// first blob's halves, split the two-blob cluster) finds the blobs.
TEST(SwapRefine, LeavesAPartitionThatOnePointMovesKeep) {
  const std::vector<packed_rgba> centres = {pack_rgba(20, 20, 20, 255), pack_rgba(128, 128, 128, 255),
                                            pack_rgba(235, 235, 235, 255)};
  weighted_set set;
  set.points = testing::clustered_pixels(centres, 200, 6, 3);
  for (packed_rgba p : set.points) {
    set.weights.push_back(1);
    const std::uint32_t grey = channel_of(p, 0);
    set.labels.push_back(grey < 60 ? (channel_of(p, 1) < 20 ? 0u : 1u) : 2u);
  }
  hartigan_refine(set.points, set.weights, set.labels, 3, hartigan_params{});
  const double stuck = partition_wcss(set.points, set.weights, set.labels, 3);
  const auto outcome = swap_refine(set.points, set.weights, set.labels, 3, swap_params{});
  EXPECT_GE(outcome.accepted, 1);
  EXPECT_LT(partition_wcss(set.points, set.weights, set.labels, 3), stuck * 0.2);
  // Each blob now one cluster of its own.
  for (std::size_t i = 0; i < set.points.size(); ++i) {
    for (std::size_t j = 0; j < set.points.size(); ++j) {
      const bool same_blob = (channel_of(set.points[i], 0) / 100) == (channel_of(set.points[j], 0) / 100);
      ASSERT_EQ(same_blob, set.labels[i] == set.labels[j]) << i << " " << j;
    }
  }
}

TEST(SwapRefine, SameLabelsEveryTime) {
  weighted_set set = random_set(99, 12, false, false);
  hartigan_refine(set.points, set.weights, set.labels, 12, hartigan_params{});
  std::vector<std::uint32_t> first = set.labels, second = set.labels;
  swap_params params;
  params.max_trials = 12;
  const auto a = swap_refine(set.points, set.weights, first, 12, params);
  const auto b = swap_refine(set.points, set.weights, second, 12, params);
  EXPECT_EQ(first, second);
  EXPECT_EQ(a.trials, b.trials);
  EXPECT_EQ(a.accepted, b.accepted);
  EXPECT_EQ(a.wcss_after, b.wcss_after);
}

TEST(SwapRefine, NothingToDoForFewClustersOrNoTrials) {
  weighted_set set = random_set(5, 2, false, false);
  const std::vector<std::uint32_t> labels = set.labels;
  EXPECT_EQ(swap_refine(set.points, set.weights, set.labels, 2, swap_params{}).trials, 0);
  EXPECT_EQ(set.labels, labels);
  swap_params none;
  none.max_trials = 0;
  weighted_set more = random_set(6, 8, false, false);
  const std::vector<std::uint32_t> before = more.labels;
  EXPECT_EQ(swap_refine(more.points, more.weights, more.labels, 8, none).accepted, 0);
  EXPECT_EQ(more.labels, before);
}

}  // namespace
}  // namespace kmq
