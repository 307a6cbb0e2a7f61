// The neighbour lists of the CPU assignment (host/src/neighbour_order.hpp)
// against host references: the lists themselves, and assign_points() with
// them against the full scan, over Lloyd-like drifts, stale orders, near ties
// and duplicate centroids. The labels and sums must be exactly the full
// scan's; the bounds must stay true bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "cpu_assign.hpp"
#include "kmq/random.hpp"
#include "neighbour_order.hpp"
#include "test_support.hpp"

namespace kmq::detail {
namespace {

double true_distance(const float* a, const float* b) {
  double total = 0.0;
  for (int c = 0; c < channels; ++c) {
    const double d = static_cast<double>(a[c]) - b[c];
    total += d * d;
  }
  return std::sqrt(total);
}

double true_distance(packed_rgba x, const float* centre) {
  float point[channels];
  for (int c = 0; c < channels; ++c) point[c] = static_cast<float>(channel_of(x, c));
  return true_distance(point, centre);
}

std::vector<float> random_centroids(int k, seeded_random& random) {
  std::vector<float> c(static_cast<std::size_t>(k) * channels);
  for (auto& v : c) v = static_cast<float>(random.below(25500)) / 100.0f;
  return c;
}

void drift(std::vector<float>& centroids, float scale, seeded_random& random) {
  for (auto& v : centroids) v += (static_cast<float>(random.below(2001)) / 1000.0f - 1.0f) * scale;
}

TEST(NeighbourOrder, ListsAreEveryCentroidNearestFirstWithReachBelowEachLaterBlock) {
  seeded_random random(3);
  for (int k : {17, 24, 61, 64, 256}) {
    std::vector<float> centroids = random_centroids(k, random);
    // Two centroids at the same place: their tie goes to the lower index.
    std::copy_n(&centroids[0], channels, &centroids[static_cast<std::size_t>(channels) * (k - 1)]);
    const centroid_planes planes = make_centroid_planes(centroids.data(), k);
    neighbour_order order;
    order_neighbours(planes, 0.0f, order);
    SCOPED_TRACE("k " + std::to_string(k));
    ASSERT_EQ(order.padded_k, planes.padded_k);
    ASSERT_EQ(order.blocks * centroid_lanes, planes.padded_k);
    for (int a = 0; a < k; ++a) {
      const std::size_t list = static_cast<std::size_t>(a) * order.padded_k;
      std::vector<std::int32_t> seen(order.index.begin() + static_cast<std::ptrdiff_t>(list),
                                     order.index.begin() + static_cast<std::ptrdiff_t>(list + k));
      std::sort(seen.begin(), seen.end());
      std::vector<std::int32_t> all(static_cast<std::size_t>(k));
      std::iota(all.begin(), all.end(), 0);
      ASSERT_EQ(seen, all) << "list " << a << " holds every cluster once";
      EXPECT_EQ(order.index[list], a == k - 1 ? 0 : a) << "the own centre first (or its lower-index twin)";
      double previous = -1.0;
      for (int m = 0; m < k; ++m) {
        const std::int32_t j = order.index[list + m];
        const double d = true_distance(&centroids[static_cast<std::size_t>(channels) * a], &centroids[static_cast<std::size_t>(channels) * j]);
        EXPECT_GE(d, previous - 1e-4 * (1.0 + previous)) << "list " << a << " ascending at " << m;
        previous = std::max(previous, d);
        for (int c = 0; c < channels; ++c) EXPECT_EQ(order.channel[c][list + m], centroids[static_cast<std::size_t>(channels) * j + c]);
        // Reach: below the true distance of this entry for its block and every earlier one.
        for (int b = 0; b <= m / centroid_lanes; ++b) {
          EXPECT_LE(order.reach[static_cast<std::size_t>(a) * order.blocks + b], d) << "list " << a << " block " << b;
        }
      }
      for (int m = k; m < order.padded_k; ++m) EXPECT_TRUE(std::isinf(order.channel[0][list + m]));
    }
  }
}

TEST(NeighbourOrder, NearMovesAreTheFirstBlocksLargestMoveAndTheDistanceBeyondIt) {
  seeded_random random(8);
  for (int k : {5, 24, 61, 256}) {
    SCOPED_TRACE("k " + std::to_string(k));
    const std::vector<float> centroids = random_centroids(k, random);
    neighbour_order order;
    order_neighbours(make_centroid_planes(centroids.data(), k), 0.0f, order);
    std::vector<float> moved(static_cast<std::size_t>(k));
    for (float& m : moved) m = static_cast<float>(random.below(1000)) / 100.0f;
    std::vector<float> near_shrink, beyond;
    near_moves(order, moved.data(), near_shrink, beyond);
    ASSERT_EQ(near_shrink.size(), static_cast<std::size_t>(k));
    for (int a = 0; a < k; ++a) {
      // The first block: a and its nearest others (the sort is fresh).
      std::vector<std::pair<double, int>> by_distance;
      for (int j = 0; j < k; ++j) {
        by_distance.emplace_back(true_distance(&centroids[static_cast<std::size_t>(channels) * a], &centroids[static_cast<std::size_t>(channels) * j]), j);
      }
      std::sort(by_distance.begin(), by_distance.end());
      float largest = 0.0f;
      for (int m = 0; m < std::min(k, centroid_lanes); ++m) {
        if (by_distance[static_cast<std::size_t>(m)].second != a) largest = std::max(largest, moved[static_cast<std::size_t>(by_distance[static_cast<std::size_t>(m)].second)]);
      }
      EXPECT_EQ(near_shrink[static_cast<std::size_t>(a)], largest) << "cluster " << a;
      if (k <= centroid_lanes) {
        EXPECT_TRUE(std::isinf(beyond[static_cast<std::size_t>(a)])) << "one block: nothing beyond it";
        continue;
      }
      // At most the distance to every centroid past the first block, and
      // near the nearest of them (a bound worth having).
      const double past = by_distance[static_cast<std::size_t>(centroid_lanes)].first;
      EXPECT_LE(beyond[static_cast<std::size_t>(a)], past) << "cluster " << a;
      EXPECT_GE(beyond[static_cast<std::size_t>(a)], past * (1.0 - 1e-4)) << "cluster " << a;
    }
  }
}

// One pass of assign_points over every point, with the bounds moved as the
// backend moves them.
struct assignment {
  std::vector<std::uint32_t> labels;
  std::vector<float> upper, lower;
  std::vector<float> previous;
  std::vector<std::uint64_t> count, sum, sq_norm;
  std::uint64_t changed = 0;

  explicit assignment(std::size_t n) : labels(n, ~0u), upper(n), lower(n) {}

  void pass(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
            const std::vector<float>& centroids, int k, neighbour_order* order) {
    const centroid_planes planes = make_centroid_planes(centroids.data(), k);
    const bool valid = previous.size() == centroids.size();
    std::vector<float> moved(static_cast<std::size_t>(k), 0.0f), shrink(static_cast<std::size_t>(k), 0.0f);
    if (valid) {
      for (int j = 0; j < k; ++j) {
        moved[j] = std::nextafter(static_cast<float>(true_distance(&centroids[channels * j], &previous[channels * j]) * (1 + 1e-9)),
                                  std::numeric_limits<float>::infinity());
      }
      for (int a = 0; a < k; ++a) {
        for (int j = 0; j < k; ++j) {
          if (j != a) shrink[a] = std::max(shrink[a], moved[j]);
        }
      }
    }
    hamerly_bounds bounds{upper.data(), lower.data(), moved.data(), shrink.data(), valid};
    std::vector<float> near_shrink, beyond;
    if (valid && order) {
      // No move passed: only the pass count resorts, so the orders after
      // the large drifts below are stale ones, as they may be between sorts.
      order_neighbours(planes, 0.0f, *order);
      bounds.neighbours = order;
      // As the backend does: the lower bounds shrink by the near centroids'
      // moves where the list's reach allows (expect_true_bounds checks them).
      near_moves(*order, moved.data(), near_shrink, beyond);
      bounds.near_shrink = near_shrink.data();
      bounds.beyond = beyond.data();
    }
    if (!valid) {
      count.assign(k, 0);
      sum.assign(static_cast<std::size_t>(k) * channels, 0);
      sq_norm.assign(k, 0);
    }
    assign_accumulator out{count.data(), sum.data(), sq_norm.data()};
    assign_points(points.data(), weights.data(), labels.data(), 0, points.size(), planes, bounds, out);
    changed = out.changed;
    previous = centroids;
  }
};

// Labels by brute force: the least computed distance, ties to the lowest index.
std::vector<std::uint32_t> brute_labels(const std::vector<packed_rgba>& points, const std::vector<float>& centroids, int k) {
  std::vector<std::uint32_t> labels(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::uint32_t best = 0;
    for (int j = 1; j < k; ++j) {
      if (centroid_distance(points[i], &centroids[static_cast<std::size_t>(channels) * j]) <
          centroid_distance(points[i], &centroids[static_cast<std::size_t>(channels) * best])) {
        best = static_cast<std::uint32_t>(j);
      }
    }
    labels[i] = best;
  }
  return labels;
}

void expect_true_bounds(const assignment& run, const std::vector<packed_rgba>& points, const std::vector<float>& centroids,
                        int k) {
  for (std::size_t i = 0; i < points.size(); i += 7) {
    const std::uint32_t own = run.labels[i];
    ASSERT_GE(run.upper[i], true_distance(points[i], &centroids[static_cast<std::size_t>(channels) * own])) << i;
    for (int j = 0; j < k; ++j) {
      if (static_cast<std::uint32_t>(j) == own) continue;
      ASSERT_LE(run.lower[i], true_distance(points[i], &centroids[static_cast<std::size_t>(channels) * j])) << i << " " << j;
    }
  }
}

TEST(NeighbourOrder, AssignmentWithListsIsTheFullScansOverLloydLikeDrifts) {
  const std::vector<packed_rgba> points = testing::gradient_image(200, 150, 8);
  seeded_random random(11);
  std::vector<std::uint32_t> weights(points.size());
  for (auto& w : weights) w = 1 + static_cast<std::uint32_t>(random.below(50));
  for (int k : {24, 61, 256}) {
    SCOPED_TRACE("k " + std::to_string(k));
    std::vector<float> centroids = random_centroids(k, random);
    // A twin of centroid 0 at the highest index: ties between them must go to 0.
    std::copy_n(&centroids[0], channels, &centroids[static_cast<std::size_t>(channels) * (k - 1)]);
    assignment with_lists(points.size()), full(points.size());
    neighbour_order order;
    for (int pass = 0; pass < 24; ++pass) {
      SCOPED_TRACE("pass " + std::to_string(pass));
      // Every sixth pass keeps an order sorted for centroids since moved far.
      if (pass % 6 == 5) order.passes_since_sort = 0;
      with_lists.pass(points, weights, centroids, k, &order);
      full.pass(points, weights, centroids, k, nullptr);
      ASSERT_EQ(with_lists.labels, brute_labels(points, centroids, k));
      ASSERT_EQ(with_lists.labels, full.labels);
      EXPECT_EQ(with_lists.count, full.count);
      EXPECT_EQ(with_lists.sum, full.sum);
      EXPECT_EQ(with_lists.sq_norm, full.sq_norm);
      EXPECT_EQ(with_lists.changed, full.changed);
      expect_true_bounds(with_lists, points, centroids, k);
      const float scale = pass % 6 == 4 ? 30.0f : pass % 3 == 0 ? 0.05f : 1.0f;
      drift(centroids, scale, random);
      std::copy_n(&centroids[0], channels, &centroids[static_cast<std::size_t>(channels) * (k - 1)]);
    }
  }
}

TEST(NeighbourOrder, NearTiesFollowTheComputedDistances) {
  // Points on a line between centroids a few ulps apart; the rest of the
  // centroids far away, so the lists stop after their first blocks.
  std::vector<packed_rgba> points;
  std::vector<std::uint32_t> weights;
  for (int v = 0; v < 256; ++v) {
    for (int g = 0; g < 4; ++g) {
      points.push_back(pack_rgba(static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(g), 0, 255));
      weights.push_back(1);
    }
  }
  const int k = 40;
  seeded_random random(5);
  std::vector<float> centroids(static_cast<std::size_t>(k) * channels);
  for (int j = 0; j < k; ++j) {
    centroids[channels * j + 0] = static_cast<float>(random.below(256));
    centroids[channels * j + 1] = 200.0f + static_cast<float>(random.below(55));
    centroids[channels * j + 2] = static_cast<float>(random.below(256));
    centroids[channels * j + 3] = 255.0f;
  }
  // Three centres on the line: 100.5 and 101.5 (a tie at 101), and their twin at the top index.
  const float line[][2] = {{100.5f, 1.5f}, {101.5f, 1.5f}};
  for (int t = 0; t < 2; ++t) {
    const int j = t == 0 ? 3 : 30;
    centroids[channels * j + 0] = line[t][0];
    centroids[channels * j + 1] = line[t][1];
    centroids[channels * j + 2] = 0.0f;
  }
  std::copy_n(&centroids[channels * 3], channels, &centroids[channels * (k - 1)]);
  assignment with_lists(points.size()), full(points.size());
  neighbour_order order;
  for (int pass = 0; pass < 40; ++pass) {
    SCOPED_TRACE("pass " + std::to_string(pass));
    with_lists.pass(points, weights, centroids, k, &order);
    full.pass(points, weights, centroids, k, nullptr);
    ASSERT_EQ(with_lists.labels, brute_labels(points, centroids, k));
    ASSERT_EQ(with_lists.labels, full.labels);
    EXPECT_EQ(with_lists.sum, full.sum);
    expect_true_bounds(with_lists, points, centroids, k);
    const float direction = pass % 2 == 0 ? 1.0f : -1.0f;
    centroids[channels * 3] = std::nextafter(centroids[channels * 3], direction * 1000.0f);
    centroids[channels * 30] = std::nextafter(centroids[channels * 30], -direction * 1000.0f);
    centroids[channels * (k - 1)] = centroids[channels * 3];
  }
}

TEST(NeighbourOrder, AnExactTieGoesToTheLowerIndexWhenTheListReadsTheHigherFirst) {
  // Point x = (50, 0, 0) starts in cluster 5 at the origin. Then clusters 2
  // and 20 move to x + (14, 2, 0) and x - (14, 2, 0): both at squared
  // distance 200 from x, an exact tie that cluster 2 must win. In cluster 5's
  // list, 20 (1300 from the origin) comes second and 2 (4100) tenth, after
  // seven centres in between: the same lane, the higher index read first.
  const int k = 24;
  std::vector<float> centroids(static_cast<std::size_t>(k) * channels);
  const auto place = [&](int j, float r, float g, float b) {
    const float at[channels] = {r, g, b, 255.0f};
    std::copy_n(at, channels, &centroids[static_cast<std::size_t>(channels) * j]);
  };
  for (int j = 0; j < k; ++j) place(j, 250.0f, 250.0f - static_cast<float>(j), 250.0f);  // far from everything
  place(5, 0.0f, 0.0f, 0.0f);
  const float between[][3] = {{0, 40, 0}, {0, 0, 42}, {-44, 0, 0}, {0, -46, 0}, {0, 0, -48}, {-30, 30, 30}, {-35, -35, 20}};
  const int fillers[] = {0, 1, 3, 4, 6, 7, 8};
  for (int f = 0; f < 7; ++f) place(fillers[f], between[f][0], between[f][1], between[f][2]);
  const std::vector<packed_rgba> points = {pack_rgba(50, 0, 0, 255)};
  const std::vector<std::uint32_t> weights = {1};
  assignment with_lists(points.size());
  neighbour_order order;
  with_lists.pass(points, weights, centroids, k, &order);
  ASSERT_EQ(with_lists.labels[0], 5u);
  place(2, 64.0f, 2.0f, 0.0f);
  place(20, 36.0f, -2.0f, 0.0f);
  with_lists.pass(points, weights, centroids, k, &order);
  const std::size_t list = 5 * static_cast<std::size_t>(order.padded_k);
  ASSERT_EQ(order.index[list + 1], 20) << "the higher index second in the list";
  ASSERT_EQ(order.index[list + 1 + centroid_lanes], 2) << "the lower one in the same lane, later";
  EXPECT_EQ(with_lists.labels[0], 2u);
  EXPECT_EQ(with_lists.labels, brute_labels(points, centroids, k));
}

}  // namespace
}  // namespace kmq::detail
