// The CPU backend against brute-force host references, and against itself at
// other thread counts (its results must not depend on the split).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

struct weighted_points {
  std::vector<packed_rgba> points;
  std::vector<std::uint32_t> weights;
};

weighted_points sample_points(std::size_t n, std::uint64_t seed) {
  weighted_points wp;
  wp.points = testing::random_pixels(n, seed, true);
  seeded_random random(seed + 100);
  for (std::size_t i = 0; i < n; ++i) wp.weights.push_back(1 + static_cast<std::uint32_t>(random.below(1000)));
  return wp;
}

std::vector<float> sample_centroids(int k, std::uint64_t seed) {
  seeded_random random(seed);
  std::vector<float> c(static_cast<std::size_t>(k) * 4);
  for (auto& v : c) v = static_cast<float>(random.below(25500)) / 100.0f;
  return c;
}

step_stats reference_step(const weighted_points& wp, const std::vector<float>& centroids, int k,
                          std::vector<std::uint32_t>& labels) {
  step_stats s;
  s.count.assign(k, 0);
  s.sum.assign(static_cast<std::size_t>(k) * 4, 0);
  s.sq_norm.assign(k, 0);
  float far = -1;
  for (std::size_t i = 0; i < wp.points.size(); ++i) {
    int best = 0;
    for (int j = 1; j < k; ++j) {
      if (centroid_distance(wp.points[i], &centroids[4 * j]) < centroid_distance(wp.points[i], &centroids[4 * best])) best = j;
    }
    const float d = centroid_distance(wp.points[i], &centroids[4 * best]);
    if (d > far) {
      far = d;
      s.farthest = static_cast<std::uint32_t>(i);
      s.farthest_distance = d;
    }
    if (labels[i] != static_cast<std::uint32_t>(best)) ++s.changed;
    labels[i] = static_cast<std::uint32_t>(best);
    const std::uint64_t w = wp.weights[i];
    s.count[best] += w;
    for (int c = 0; c < 4; ++c) s.sum[4 * best + c] += w * channel_of(wp.points[i], c);
    s.sq_norm[best] += w * squared_norm(wp.points[i]);
  }
  if (std::find(s.count.begin(), s.count.end(), 0u) == s.count.end()) {
    s.farthest = 0;  // reported only when a cluster is empty
    s.farthest_distance = 0;
  }
  return s;
}

void expect_same_stats(const step_stats& a, const step_stats& b) {
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.sum, b.sum);
  EXPECT_EQ(a.sq_norm, b.sq_norm);
  EXPECT_EQ(a.changed, b.changed);
  EXPECT_EQ(a.farthest, b.farthest);
  EXPECT_EQ(a.farthest_distance, b.farthest_distance);
}

class CpuBackendThreads : public ::testing::TestWithParam<int> {};

TEST_P(CpuBackendThreads, StepMatchesTheBruteForceReferenceOverSeveralPasses) {
  const weighted_points wp = sample_points(70001, 5);
  auto engine = make_cpu_backend(GetParam());
  engine->upload(wp.points.data(), wp.weights.data(), wp.points.size());
  std::vector<std::uint32_t> labels(wp.points.size(), ~0u);
  // Per k, passes as Lloyd makes them and a few it does not: new random
  // centroids, small moves of them (most labels stay, some change: what the
  // backend's bounds from the pass before must get right), a large move, the
  // same centroids again (nothing changes), then new random ones.
  for (int k : {1, 2, 17, 256}) {
    std::vector<float> centroids = sample_centroids(k, static_cast<std::uint64_t>(k * 10));
    const auto moved = [&](float step, std::uint64_t seed) {
      seeded_random random(seed);
      std::vector<float> next = centroids;
      for (float& v : next)
        v = std::clamp(v + step * (static_cast<float>(random.below(2001)) / 1000.0f - 1.0f), 0.0f, 255.0f);
      return next;
    };
    const std::vector<std::vector<float>> passes = {
        centroids,
        moved(0.5f, k * 10 + 1),
        moved(3.0f, k * 10 + 2),
        moved(40.0f, k * 10 + 3),
        moved(40.0f, k * 10 + 3),  // the same as the pass before
        sample_centroids(k, static_cast<std::uint64_t>(k * 10 + 5)),
    };
    std::uint64_t changed_after_first = 0;
    for (std::size_t pass = 0; pass < passes.size(); ++pass) {
      centroids = passes[pass];
      if (pass > 0 && pass != 4) EXPECT_NE(passes[pass], passes[pass - 1]);
      const step_stats expected = reference_step(wp, centroids, k, labels);
      const step_stats got = engine->step(centroids.data(), k);
      SCOPED_TRACE("k " + std::to_string(k) + ", pass " + std::to_string(pass));
      expect_same_stats(got, expected);
      if (pass == 4) EXPECT_EQ(got.changed, 0u) << "the same centroids twice";
      if (pass > 0 && pass != 4) changed_after_first += got.changed;
    }
    // The passes are different: labels did move between them (k = 1 has one cluster).
    if (k > 1) EXPECT_GT(changed_after_first, 0u);
  }
  EXPECT_EQ(engine->labels(), labels);
}

TEST_P(CpuBackendThreads, AnEmptyClusterBringsTheFarthestPoint) {
  const weighted_points wp = sample_points(50021, 8);
  auto engine = make_cpu_backend(GetParam());
  engine->upload(wp.points.data(), wp.weights.data(), wp.points.size());
  std::vector<std::uint32_t> labels(wp.points.size(), ~0u);
  std::vector<float> centroids = sample_centroids(5, 3);
  for (int pass = 0; pass < 3; ++pass) {
    centroids[4 * 3 + 3] = -5000.0f - static_cast<float>(pass);  // cluster 3 is nearest to nothing
    const step_stats expected = reference_step(wp, centroids, 5, labels);
    ASSERT_EQ(expected.count[3], 0u);
    ASSERT_GT(expected.farthest_distance, 0.0f);
    expect_same_stats(engine->step(centroids.data(), 5), expected);
    centroids[0] += 1.5f;
  }
}

TEST_P(CpuBackendThreads, SeedingSumsMatchTheReference) {
  const weighted_points wp = sample_points(40000, 9);
  auto engine = make_cpu_backend(GetParam());
  engine->upload(wp.points.data(), wp.weights.data(), wp.points.size());
  const packed_rgba first = wp.points[123], second = wp.points[4567];
  engine->seed_begin(first);
  engine->seed_add_centre(second);
  std::vector<std::uint64_t> prefix;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < wp.points.size(); ++i) {
    const std::uint32_t d = std::min(squared_distance(wp.points[i], first), squared_distance(wp.points[i], second));
    running += std::uint64_t{wp.weights[i]} * d;
    prefix.push_back(running);
  }
  EXPECT_EQ(engine->seed_potential(), running);

  const std::vector<std::uint64_t> targets = {0, running / 3, running - 1, prefix[999], prefix[999] - 1};
  std::vector<std::uint32_t> indices(targets.size());
  engine->seed_sample(targets.data(), static_cast<int>(targets.size()), indices.data());
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const auto expected = std::upper_bound(prefix.begin(), prefix.end(), targets[t]) - prefix.begin();
    EXPECT_EQ(indices[t], static_cast<std::uint32_t>(expected));
  }
  EXPECT_EQ(indices[3], 1000u);  // exactly at a prefix sum: the next point

  const std::vector<packed_rgba> candidates = {wp.points[7], pack_rgba(0, 0, 0, 0), pack_rgba(255, 255, 255, 255)};
  std::vector<std::uint64_t> potentials(candidates.size());
  engine->seed_candidate_potentials(candidates.data(), 3, potentials.data());
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    std::uint64_t expected = 0;
    for (std::size_t i = 0; i < wp.points.size(); ++i) {
      const std::uint32_t d = std::min({squared_distance(wp.points[i], first), squared_distance(wp.points[i], second),
                                        squared_distance(wp.points[i], candidates[c])});
      expected += std::uint64_t{wp.weights[i]} * d;
    }
    EXPECT_EQ(potentials[c], expected);
  }
}

TEST_P(CpuBackendThreads, SkippingByBoundsNeverChangesALabelAsCentroidsDrift) {
  // A Lloyd-like sequence: centroids that move a little (and sometimes a lot)
  // between passes, so most points are settled by their bound and some not.
  const weighted_points wp = sample_points(60013, 21);
  auto engine = make_cpu_backend(GetParam());
  engine->upload(wp.points.data(), wp.weights.data(), wp.points.size());
  std::vector<std::uint32_t> labels(wp.points.size(), ~0u);
  seeded_random random(4);
  // k = 7: Hamerly's bounds alone; 16: also the near centroids' moves; 64:
  // those and the neighbour lists' scans.
  for (int k : {7, 16, 64}) {
    std::vector<float> centroids = sample_centroids(k, 99);
    for (int pass = 0; pass < 12; ++pass) {
      const step_stats expected = reference_step(wp, centroids, k, labels);
      expect_same_stats(engine->step(centroids.data(), k), expected);
      const float scale = pass % 5 == 4 ? 40.0f : 0.5f;
      for (auto& v : centroids) v += (static_cast<float>(random.below(2001)) / 1000.0f - 1.0f) * scale;
    }
  }
  EXPECT_EQ(engine->labels(), labels);
}

TEST_P(CpuBackendThreads, BoundsSurviveNearTiesAndTinyMoves) {
  // Points exactly between two centroids that then move by a few ulps: the
  // label must follow the computed distances, as a full scan would.
  weighted_points wp;
  for (int v = 0; v < 256; ++v) {
    wp.points.push_back(pack_rgba(static_cast<std::uint32_t>(v), 0, 0, 255));
    wp.weights.push_back(1);
  }
  auto engine = make_cpu_backend(GetParam());
  engine->upload(wp.points.data(), wp.weights.data(), wp.points.size());
  std::vector<std::uint32_t> labels(wp.points.size(), ~0u);
  std::vector<float> centroids = {100.5f, 0, 0, 255, 101.5f, 0, 0, 255, 20, 0, 0, 255};
  for (int pass = 0; pass < 40; ++pass) {
    const step_stats expected = reference_step(wp, centroids, 3, labels);
    expect_same_stats(engine->step(centroids.data(), 3), expected);
    const float direction = pass % 2 == 0 ? 1.0f : -1.0f;
    centroids[0] = std::nextafter(centroids[0], direction * 1000.0f);
    centroids[4] = std::nextafter(centroids[4], -direction * 1000.0f);
    if (pass % 7 == 6) centroids[8] += 0.25f;
  }
  // A palette assignment in between: the next step must not trust old bounds.
  const std::vector<packed_rgba> palette = {pack_rgba(0, 0, 0, 255)};
  engine->assign_to_palette(palette.data(), 1);
  std::fill(labels.begin(), labels.end(), 0u);
  const step_stats expected = reference_step(wp, centroids, 3, labels);
  expect_same_stats(engine->step(centroids.data(), 3), expected);
}

TEST_P(CpuBackendThreads, PaletteAssignmentIsTheLeastPaletteDistanceWithTiesToTheLowestIndex) {
  // Points and palettes with every alpha class (0, 255, between), repeated
  // entries (exact ties), and every palette size's lane remainder.
  seeded_random random(31);
  const auto colour = [&](bool extremes) {
    const std::uint32_t pick = static_cast<std::uint32_t>(random.below(4));
    const std::uint32_t alpha = !extremes ? static_cast<std::uint32_t>(random.below(256)) : pick == 0 ? 0u : pick == 1 ? 128u : 255u;
    return pack_rgba(static_cast<std::uint32_t>(random.below(256)), static_cast<std::uint32_t>(random.below(256)),
                     static_cast<std::uint32_t>(random.below(256)), alpha);
  };
  std::vector<packed_rgba> points;
  for (int i = 0; i < 5003; ++i) points.push_back(colour(i % 2 == 0));
  const std::vector<std::uint32_t> weights(points.size(), 1);
  auto engine = make_cpu_backend(GetParam());
  engine->upload(points.data(), weights.data(), points.size());
  for (int count : {1, 2, 7, 8, 9, 16, 63, 64, 65, 200, 256}) {
    std::vector<packed_rgba> palette;
    for (int j = 0; j < count; ++j) palette.push_back(j % 5 == 4 ? palette[static_cast<std::size_t>(j / 2)] : colour(j % 3 != 0));
    engine->assign_to_palette(palette.data(), count);
    const std::vector<std::uint32_t> labels = engine->labels();
    for (std::size_t i = 0; i < points.size(); ++i) {
      std::uint32_t best = 0;
      for (std::uint32_t j = 1; j < static_cast<std::uint32_t>(count); ++j) {
        if (palette_distance(points[i], palette[j]) < palette_distance(points[i], palette[best])) best = j;
      }
      ASSERT_EQ(labels[i], best) << "palette of " << count << ", point " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, CpuBackendThreads, ::testing::Values(1, 2, 3, 8));

TEST(CpuBackend, SampleNeverReturnsAPointThatIsAlreadyACentre) {
  const std::vector<packed_rgba> points = {10, 20, 30};
  const std::vector<std::uint32_t> weights = {5, 5, 5};
  auto engine = make_cpu_backend(1);
  engine->upload(points.data(), weights.data(), 3);
  engine->seed_begin(20);  // D = {100, 0, 100}: prefix {500, 500, 1000}
  const std::vector<std::uint64_t> targets = {0, 499, 500, 999};
  std::vector<std::uint32_t> indices(4);
  engine->seed_sample(targets.data(), 4, indices.data());
  EXPECT_EQ(indices, (std::vector<std::uint32_t>{0, 0, 2, 2}));
}

TEST(CpuBackend, TiesGoToTheLowestIndex) {
  const std::vector<packed_rgba> points = {pack_rgba(10, 0, 0, 0)};
  const std::vector<std::uint32_t> weights = {1};
  auto engine = make_cpu_backend(1);
  engine->upload(points.data(), weights.data(), 1);
  const std::vector<float> centroids = {12, 0, 0, 0, 8, 0, 0, 0};  // both at distance 4
  const step_stats s = engine->step(centroids.data(), 2);
  EXPECT_EQ(s.count, (std::vector<std::uint64_t>{1, 0}));
  EXPECT_EQ(s.changed, 1u);
  EXPECT_EQ(engine->step(centroids.data(), 2).changed, 0u);

  const std::vector<packed_rgba> palette = {pack_rgba(12, 0, 0, 0), pack_rgba(8, 0, 0, 0)};
  engine->assign_to_palette(palette.data(), 2);
  EXPECT_EQ(engine->labels(), (std::vector<std::uint32_t>{0}));
  EXPECT_THROW(engine->assign_to_palette(palette.data(), 0), error);
  EXPECT_THROW(engine->step(centroids.data(), 0), error);
}

TEST(CpuBackend, PaletteAssignmentAndLabelMap) {
  const std::vector<packed_rgba> points = {pack_rgba(0, 0, 0, 255), pack_rgba(200, 200, 200, 255), pack_rgba(90, 90, 90, 255)};
  const std::vector<std::uint32_t> weights = {1, 1, 1};
  auto engine = make_cpu_backend(2);
  engine->upload(points.data(), weights.data(), 3);
  const std::vector<packed_rgba> palette = {pack_rgba(255, 255, 255, 255), pack_rgba(0, 0, 0, 255), pack_rgba(100, 100, 100, 255)};
  engine->assign_to_palette(palette.data(), 3);
  EXPECT_EQ(engine->labels(), (std::vector<std::uint32_t>{1, 0, 2}));
  const std::vector<std::uint32_t> pixel_to_point = {2, 2, 0, 1, 0};
  std::vector<std::uint8_t> out(pixel_to_point.size());
  engine->label_pixels(pixel_to_point.data(), out.size(), out.data());
  EXPECT_EQ(out, (std::vector<std::uint8_t>{2, 2, 1, 0, 1}));
}

}  // namespace
}  // namespace kmq
