// Hartigan's method after Lloyd: never raises the error of the partition
// (property test on random weighted sets), reaches a lower error than Lloyd
// alone where Lloyd stopped at a fixed point, and gives the same palette on
// any thread count, with or without de-duplication.
#include <gtest/gtest.h>

#include <vector>

#include "../host/src/hartigan.hpp"
#include "../host/src/join_filter.hpp"
#include "../host/src/partition_sums.hpp"
#include "kmq/backend_select.hpp"
#include "kmq/quantize.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

using detail::hartigan_params;
using detail::hartigan_refine;
using detail::partition_wcss;

using testing::weighted_set;

weighted_set random_set(std::uint64_t seed, std::size_t count, int k, bool with_alpha) {
  seeded_random random(seed);
  weighted_set set;
  for (std::size_t i = 0; i < count; ++i) {
    set.points.push_back(testing::random_colour(random, with_alpha));
    set.weights.push_back(1 + static_cast<std::uint32_t>(random.below(i % 3 == 0 ? 1000 : 5)));
    set.labels.push_back(static_cast<std::uint32_t>(random.below(static_cast<std::uint64_t>(k))));
  }
  return set;
}

// Hartigan's sweep as first written: every candidate of every point scanned,
// a division each. The filtered sweep must move the same points to the same
// clusters.
std::vector<std::uint32_t> reference_hartigan(const weighted_set& set, int k, const hartigan_params& params) {
  std::vector<std::uint32_t> labels = set.labels;
  detail::partition sums(k);
  for (std::size_t i = 0; i < set.points.size(); ++i) sums.add(labels[i], set.points[i], set.weights[i]);
  const int count = std::max(1, std::min(params.candidates, k - 1));
  for (int sweep = 0; sweep < params.max_sweeps && k > 1; ++sweep) {
    std::vector<std::vector<std::uint32_t>> near(static_cast<std::size_t>(k));
    for (int a = 0; a < k; ++a) near[static_cast<std::size_t>(a)] = detail::nearest_of(sums, static_cast<std::uint32_t>(a), count);
    std::uint64_t moved = 0;
    for (std::size_t i = 0; i < set.points.size(); ++i) {
      const std::uint32_t from = labels[i];
      const double w = set.weights[i];
      const double n_from = static_cast<double>(sums.weight[from]);
      if (sums.weight[from] <= set.weights[i]) continue;
      const double leave = w * n_from / (n_from - w) * sums.distance(from, set.points[i]);
      double best = leave;
      std::uint32_t to = from;
      for (std::uint32_t j : near[from]) {
        const double n_j = static_cast<double>(sums.weight[j]);
        const double join = w * n_j / (n_j + w) * sums.distance(j, set.points[i]);
        if (join < best) {
          best = join;
          to = j;
        }
      }
      if (to == from || !(best < leave * (1.0 - 1e-9))) continue;
      sums.add(from, set.points[i], -std::int64_t{set.weights[i]});
      sums.add(to, set.points[i], std::int64_t{set.weights[i]});
      labels[i] = to;
      ++moved;
    }
    if (moved == 0) break;
  }
  return labels;
}

TEST(Hartigan, MovesWhatTheUnfilteredSweepMoves) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const int k = 2 + static_cast<int>(seed % 40);
    weighted_set set = random_set(seed * 7, 300 + 61 * seed, k, seed % 3 == 0);
    // Half the sets start near a Lloyd fixed point (labels by nearest of a
    // few points), where almost every point is filtered out; half at random.
    if (seed % 2 == 0) {
      for (std::size_t i = 0; i < set.points.size(); ++i) {
        std::uint32_t best = 0;
        for (std::uint32_t j = 1; j < static_cast<std::uint32_t>(k); ++j) {
          if (squared_distance(set.points[i], set.points[j]) < squared_distance(set.points[i], set.points[best])) best = j;
        }
        set.labels[i] = best;
      }
    }
    hartigan_params params;
    params.candidates = 1 + static_cast<int>(seed % 9);
    const std::vector<std::uint32_t> expected = reference_hartigan(set, k, params);
    std::vector<std::uint32_t> labels = set.labels;
    hartigan_refine(set.points, set.weights, labels, k, params);
    EXPECT_EQ(labels, expected) << "seed " << seed << ", k " << k;
  }
}

// For every probe and every cluster it could sit in: where the exact scan
// finds a cheaper candidate, the filter must pass the point. Counts the
// probes passed and the moves seen, so that a test can tell it tried.
struct filter_tally {
  std::uint64_t passed = 0, points = 0, moves = 0;
};

void check_join_filter(const weighted_set& set, int k, const std::vector<packed_rgba>& probes,
                       const std::vector<std::uint32_t>& probe_weights, filter_tally& tally, std::uint64_t seed) {
  detail::partition sums(k);
  for (std::size_t i = 0; i < set.points.size(); ++i) sums.add(set.labels[i], set.points[i], set.weights[i]);
  const int count = std::min(8, k - 1);
  std::vector<std::uint32_t> near(static_cast<std::size_t>(k) * count);
  for (int a = 0; a < k; ++a) {
    const std::vector<std::uint32_t> found = detail::nearest_of(sums, static_cast<std::uint32_t>(a), count);
    for (int c = 0; c < count; ++c) near[static_cast<std::size_t>(a) * count + c] = c < static_cast<int>(found.size()) ? found[c] : static_cast<std::uint32_t>(a);
  }
  const detail::join_filter filter(sums, near, count);
  for (std::size_t p = 0; p < probes.size(); ++p) {
    for (std::uint32_t from = 0; from < static_cast<std::uint32_t>(k); ++from) {
      const double w = probe_weights[p];
      const double n_from = static_cast<double>(sums.weight[from]);
      if (!(n_from > w)) continue;
      const double own = sums.distance(from, probes[p]);
      const double leave = w * n_from / (n_from - w) * own;
      double best = leave;
      const std::uint32_t* row = near.data() + std::size_t{from} * count;
      const std::uint32_t to = sums.cheapest_join(row, row + count, from, probes[p], w, best);
      const bool may = filter.any_may_join(from, probes[p], w, n_from);
      if (to != from) {
        ++tally.moves;
        EXPECT_TRUE(may) << "seed " << seed << ", probe " << p << ", cluster " << from;
      }
      ++tally.points;
      tally.passed += may ? 1 : 0;
    }
  }
}

// The means rounded to bytes, and the byte points halfway between two of
// them: distances near 0, and near ties between two candidates.
std::vector<packed_rgba> probes_at_the_means(const weighted_set& set, int k) {
  detail::partition sums(k);
  for (std::size_t i = 0; i < set.points.size(); ++i) sums.add(set.labels[i], set.points[i], set.weights[i]);
  std::vector<packed_rgba> probes = set.points;
  const auto at = [&](int a, int b) {
    packed_rgba colour = 0;
    for (int c = 0; c < channels; ++c) {
      const double m = (sums.mean[static_cast<std::size_t>(a) * channels + c] + sums.mean[static_cast<std::size_t>(b) * channels + c]) / 2;
      colour |= static_cast<std::uint32_t>(std::min(255.0, std::max(0.0, m + 0.5))) << (8 * c);
    }
    return colour;
  };
  for (int a = 0; a < k; ++a) {
    probes.push_back(at(a, a));
    for (int b = a + 1; b < k; ++b) probes.push_back(at(a, b));
  }
  return probes;
}

TEST(JoinFilter, PassesEveryPointACandidateCouldTakeAndFewOthers) {
  // Points on the borders, on the means themselves and far inside: the filter
  // may only say no where the exact scan finds no cheaper candidate.
  filter_tally tally;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const int k = 2 + static_cast<int>(seed % 20);
    const weighted_set set = random_set(seed, 400, k, seed % 2 == 0);
    const std::vector<packed_rgba> probes = probes_at_the_means(set, k);
    std::vector<std::uint32_t> probe_weights(probes.size(), 1);
    for (std::size_t i = 0; i < set.weights.size(); ++i) probe_weights[i] = set.weights[i];
    check_join_filter(set, k, probes, probe_weights, tally, seed);
  }
  // Random labels put most points far from their own mean, so many pass; the
  // filter still has to turn some away to be worth its lanes.
  EXPECT_LT(tally.passed, tally.points);
  EXPECT_GT(tally.moves, 0u);
}

TEST(JoinFilter, HoldsWithHeavyWeightsWhereFloatRoundsThem) {
  // Weights of 2^20 to 2^31 (a colour shared by a huge image's pixels):
  // cluster weights far beyond float's 24 bits, and points as heavy as the
  // clusters they would leave.
  filter_tally tally;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    const int k = 2 + static_cast<int>(seed % 12);
    weighted_set set = random_set(seed * 31, 300, k, seed % 3 == 0);
    seeded_random random(seed);
    for (std::uint32_t& w : set.weights) w = (1u << 20) + static_cast<std::uint32_t>(random.below((1u << 31) - (1u << 20)));
    const std::vector<packed_rgba> probes = probes_at_the_means(set, k);
    std::vector<std::uint32_t> probe_weights;
    for (std::size_t p = 0; p < probes.size(); ++p) {
      probe_weights.push_back(p % 3 == 0 ? 1u : static_cast<std::uint32_t>(1 + random.below(1u << 30)));
    }
    check_join_filter(set, k, probes, probe_weights, tally, seed);
  }
  EXPECT_GT(tally.moves, 0u);
  EXPECT_LT(tally.passed, tally.points);
}

TEST(Hartigan, NeverRaisesTheErrorOnRandomWeightedSets) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const int k = 1 + static_cast<int>(seed % 17);
    weighted_set set = random_set(seed, 50 + 37 * seed, k, seed % 2 == 0);
    const double before = partition_wcss(set.points, set.weights, set.labels, k);
    for (int sweeps : {1, 8}) {
      std::vector<std::uint32_t> labels = set.labels;
      hartigan_params params;
      params.max_sweeps = sweeps;
      params.candidates = 1 + static_cast<int>(seed % 9);
      const auto outcome = hartigan_refine(set.points, set.weights, labels, k, params);
      const double after = partition_wcss(set.points, set.weights, labels, k);
      EXPECT_LE(after, before * (1 + 1e-12)) << "seed " << seed << ", " << sweeps << " sweeps";
      if (outcome.moves > 0) {
        EXPECT_LT(after, before) << "seed " << seed << ": every move lowers the error";
      }
      // One cluster with every point moves nothing; a random partition of
      // many points always has a move that pays.
      if (k > 1) {
        EXPECT_GT(outcome.moves, 0u) << "seed " << seed;
      }
    }
  }
}

TEST(Hartigan, NoClusterIsEmptiedAndTheCentroidsAreTheMeans) {
  weighted_set set = random_set(7, 400, 12, false);
  const auto outcome = hartigan_refine(set.points, set.weights, set.labels, 12, hartigan_params{});
  std::vector<std::uint64_t> weight(12, 0);
  std::vector<double> sum(12 * channels, 0.0);
  for (std::size_t i = 0; i < set.points.size(); ++i) {
    weight[set.labels[i]] += set.weights[i];
    for (int c = 0; c < channels; ++c) sum[set.labels[i] * channels + c] += static_cast<double>(set.weights[i]) * channel_of(set.points[i], c);
  }
  ASSERT_EQ(outcome.centroids.size(), 12u * channels);
  for (int j = 0; j < 12; ++j) {
    ASSERT_GT(weight[j], 0u);
    for (int c = 0; c < channels; ++c) {
      EXPECT_EQ(outcome.centroids[j * channels + c], static_cast<float>(sum[j * channels + c] / weight[j]));
    }
  }
}

TEST(Hartigan, ALloydFixedPointThatItLeaves) {
  // 1-D: weights 1 at 0 and 2, weight 1 at 3 and 5. Lloyd's partition {0,2} {3,5}
  // (means 1 and 4) is a fixed point; Hartigan moves 2 or 3 only if it pays:
  // moving 2: leave 1*2/1*1 = 2, join 1*2/3*4 = 2.67: no. It is also a Hartigan
  // optimum, so nothing moves, and a partition that is not ({0} {2,3,5}) does move.
  const auto grey = [](std::uint32_t v) { return pack_rgba(v, v, v, 255); };
  std::vector<packed_rgba> points = {grey(0), grey(20), grey(30), grey(50)};
  std::vector<std::uint32_t> weights = {1, 1, 1, 1};
  std::vector<std::uint32_t> labels = {0, 0, 1, 1};
  EXPECT_EQ(hartigan_refine(points, weights, labels, 2, hartigan_params{}).moves, 0u);
  labels = {0, 1, 1, 1};  // a Lloyd fixed point (20 is nearer 33.3 than 0? 13.3 < 20: yes) with a higher error
  const double before = partition_wcss(points, weights, labels, 2);
  EXPECT_GT(hartigan_refine(points, weights, labels, 2, hartigan_params{}).moves, 0u);
  EXPECT_LT(partition_wcss(points, weights, labels, 2), before);
}

quantize_result quantize_with(const std::vector<packed_rgba>& pixels, int k, bool refine, bool dedupe, int threads) {
  quantize_options options;
  options.kmeans.k = k;
  options.kmeans.restarts = 1;
  options.refine = refine;
  options.dedupe = dedupe;
  auto engine = make_cpu_backend(threads);
  return quantize(view_of(pixels.data(), static_cast<std::uint32_t>(pixels.size()), 1), options, *engine);
}

TEST(Hartigan, LowersThePaletteErrorOnAPhotoLikeImage) {
  const std::vector<packed_rgba> photo = testing::gradient_image(200, 150, 5);
  for (int k : {8, 16, 64}) {
    const quantize_result lloyd = quantize_with(photo, k, false, true, 2);
    const quantize_result refined = quantize_with(photo, k, true, true, 2);
    EXPECT_LE(refined.wcss, lloyd.wcss * 1.002) << "k " << k;
    EXPECT_GT(refined.refine_moves, 0u) << "k " << k;
  }
}

TEST(Hartigan, SamePaletteOnAnyThreadCountAndWithoutDedupe) {
  const std::vector<packed_rgba> photo = testing::gradient_image(160, 120, 11);
  const quantize_result one = quantize_with(photo, 32, true, true, 1);
  for (int threads : {2, 5}) {
    const quantize_result other = quantize_with(photo, 32, true, true, threads);
    EXPECT_EQ(one.palette, other.palette);
    EXPECT_EQ(one.wcss, other.wcss);
  }
  const quantize_result expanded = quantize_with(photo, 32, true, false, 3);
  EXPECT_EQ(one.palette, expanded.palette);
  EXPECT_EQ(one.refine_moves, expanded.refine_moves);
}

}  // namespace
}  // namespace kmq
