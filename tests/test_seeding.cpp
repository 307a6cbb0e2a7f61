#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/kmeans.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

struct prepared {
  std::vector<packed_rgba> points;
  std::vector<std::uint32_t> weights;
  std::unique_ptr<backend> engine;
};

prepared deduplicated(const std::vector<packed_rgba>& pixels, int threads = 2) {
  const color_histogram h = build_color_histogram(pixels.data(), pixels.size());
  prepared p{h.colors, h.counts, make_cpu_backend(threads)};
  p.engine->upload(p.points.data(), p.weights.data(), p.points.size());
  return p;
}

prepared raw(const std::vector<packed_rgba>& pixels) {
  const pixel_points e = expand_histogram(build_color_histogram(pixels.data(), pixels.size()));
  prepared p{e.points, std::vector<std::uint32_t>(e.points.size(), 1), make_cpu_backend(2)};
  p.engine->upload(p.points.data(), p.weights.data(), p.points.size());
  return p;
}

std::vector<packed_rgba> seed(prepared& p, int k, init_method init, std::uint64_t s) {
  return seed_centres(*p.engine, p.points, p.weights, k, init, s);
}

const std::vector<packed_rgba> image = testing::gradient_image(120, 90, 4);

// The step-by-step greedy k-means++ loop, written out from the backend seam's
// contract: the host reference the CPU backend's one-call seed_greedy must match.
std::vector<packed_rgba> step_by_step(backend& engine, const std::vector<packed_rgba>& points, int k, int trials,
                                      seeded_random& random, std::vector<packed_rgba> centres) {
  std::vector<std::uint64_t> targets(static_cast<std::size_t>(trials)), potentials(targets.size());
  std::vector<std::uint32_t> picked(targets.size());
  std::vector<packed_rgba> candidates(targets.size());
  while (centres.size() < static_cast<std::size_t>(k)) {
    const std::uint64_t potential = engine.seed_potential();
    for (auto& t : targets) t = random.below(potential);
    engine.seed_sample(targets.data(), trials, picked.data());
    for (int t = 0; t < trials; ++t) candidates[t] = points[picked[t]];
    engine.seed_candidate_potentials(candidates.data(), trials, potentials.data());
    centres.push_back(candidates[std::min_element(potentials.begin(), potentials.end()) - potentials.begin()]);
    engine.seed_add_centre(centres.back());
  }
  return centres;
}

TEST(Seeding, CpuGreedySeedingIsTheStepByStepLoopOnAnyThreadCount) {
  const std::vector<std::pair<std::string, std::vector<packed_rgba>>> images = {
      {"gradient", image},
      {"clusters with alpha", testing::clustered_with_noise(70001, 9, true, 3)},
      {"posterised", testing::posterised_pixels(5000, 8)},
      {"large", testing::clustered_with_noise(300007, 24, false, 5)}};
  for (const auto& [name, pixels] : images) {
    const color_histogram h = build_color_histogram(pixels.data(), pixels.size());
    for (const int k : {2, 16, 60, 256}) {
      if (static_cast<std::size_t>(k) > h.colors.size()) continue;
      const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
      const auto reference = make_cpu_backend(1);
      reference->upload(h.colors.data(), h.counts.data(), h.colors.size());
      reference->seed_begin(h.colors[h.colors.size() / 3]);
      seeded_random want_random(77 + static_cast<std::uint64_t>(k));
      const std::vector<packed_rgba> want = step_by_step(*reference, h.colors, k, trials, want_random, {h.colors[h.colors.size() / 3]});
      for (const int threads : {1, 2, 5}) {
        const std::string where = name + ", k=" + std::to_string(k) + ", " + std::to_string(threads) + " threads";
        const auto tested = make_cpu_backend(threads);
        tested->upload(h.colors.data(), h.counts.data(), h.colors.size());
        tested->seed_begin(h.colors[h.colors.size() / 3]);
        seeded_random got_random(77 + static_cast<std::uint64_t>(k));
        std::vector<packed_rgba> got = {h.colors[h.colors.size() / 3]};
        ASSERT_TRUE(tested->seed_greedy(got_random, k, trials, got)) << where;
        EXPECT_EQ(got, want) << where;
        // The generator and the D(i) state end where the loop left them.
        EXPECT_EQ(got_random.state(), want_random.state()) << where;
        EXPECT_EQ(tested->seed_potential(), reference->seed_potential()) << where;
        if (reference->seed_potential() > 0) {
          const std::uint64_t targets[] = {0, reference->seed_potential() / 2, reference->seed_potential() - 1};
          std::uint32_t want_at[3], got_at[3];
          reference->seed_sample(targets, 3, want_at);
          tested->seed_sample(targets, 3, got_at);
          EXPECT_TRUE(std::equal(want_at, want_at + 3, got_at)) << where;
        }
      }
    }
  }
}

TEST(Seeding, SameSeedSameCentresOtherSeedOtherCentres) {
  for (init_method init : {init_method::kmeanspp, init_method::random}) {
    prepared a = deduplicated(image), b = deduplicated(image, 1);
    const auto first = seed(a, 16, init, 11);
    EXPECT_EQ(first, seed(b, 16, init, 11));
    EXPECT_NE(first, seed(a, 16, init, 12));
  }
}

TEST(Seeding, CentresAreDistinctColoursOfTheImage) {
  prepared p = deduplicated(image);
  for (init_method init : {init_method::kmeanspp, init_method::random}) {
    const auto centres = seed(p, 64, init, 3);
    ASSERT_EQ(centres.size(), 64u);
    EXPECT_EQ(std::set<packed_rgba>(centres.begin(), centres.end()).size(), 64u);
    for (packed_rgba c : centres) EXPECT_TRUE(std::binary_search(p.points.begin(), p.points.end(), c));
  }
}

TEST(Seeding, PixelsAndTheirHistogramGiveTheSameCentres) {
  for (init_method init : {init_method::kmeanspp, init_method::random}) {
    prepared d = deduplicated(image), r = raw(image);
    EXPECT_EQ(seed(d, 32, init, 5), seed(r, 32, init, 5));
  }
}

TEST(Seeding, KEqualToTheDistinctColoursTakesThemAll) {
  const std::vector<packed_rgba> pixels = {1, 1, 1, 2, 3, 3, 0xff000000u};
  for (init_method init : {init_method::kmeanspp, init_method::random}) {
    prepared p = deduplicated(pixels);
    auto centres = seed(p, 4, init, 0);
    std::sort(centres.begin(), centres.end());
    EXPECT_EQ(centres, p.points);
    EXPECT_THROW(seed(p, 5, init, 0), error);
  }
}

TEST(Seeding, KMeansPlusPlusSpreadsCentresOverSeparateClusters) {
  const std::vector<packed_rgba> centres = {pack_rgba(20, 20, 20, 255), pack_rgba(230, 30, 30, 255),
                                            pack_rgba(30, 230, 30, 255), pack_rgba(30, 30, 230, 255)};
  prepared p = deduplicated(testing::clustered_pixels(centres, 2000, 6, 8));
  for (std::uint64_t s = 0; s < 10; ++s) {
    const auto picked = seed(p, 4, init_method::kmeanspp, s);
    std::set<int> clusters;
    for (packed_rgba c : picked) {
      for (std::size_t j = 0; j < centres.size(); ++j) {
        if (squared_distance(c, centres[j]) < 3 * 13 * 13) clusters.insert(static_cast<int>(j));
      }
    }
    EXPECT_EQ(clusters.size(), 4u) << "seed " << s;
  }
}

// The statistics of the draws, not only where they land (a farthest-first
// seeding would pass the test above): on a tiny weighted set, the first centre
// must be drawn with probability weight / total weight, and the second as the
// better (lower potential) of 2 + floor(ln 2) = 2 candidates each drawn with
// probability weight x D^2 (D: distance to the first centre), the earlier
// candidate on a tie. The pair (first, second) of 20000 fixed seeds is
// compared with those exact probabilities by a chi-square test at the 0.1 %
// level: deterministic (the seeds are fixed), and a draw that is not
// proportional to weight x D^2, or not greedy, fails it (checked below on the
// same counts against plain k-means++ and farthest-first).
struct seeding_model {
  std::vector<double> first;                // P(first = a)
  std::vector<std::vector<double>> second;  // P(second = j | first = a)
};

seeding_model greedy_kmeanspp_model(const std::vector<packed_rgba>& x, const std::vector<std::uint32_t>& w,
                                    int trials) {
  const std::size_t n = x.size();
  seeding_model m;
  double total = 0;
  for (std::uint32_t v : w) total += v;
  for (std::size_t a = 0; a < n; ++a) m.first.push_back(w[a] / total);
  for (std::size_t a = 0; a < n; ++a) {
    std::vector<std::uint64_t> d2(n);
    std::uint64_t potential = 0;
    for (std::size_t i = 0; i < n; ++i) {
      d2[i] = squared_distance(x[i], x[a]);
      potential += std::uint64_t{w[i]} * d2[i];
    }
    std::vector<double> p(n);  // one candidate's draw
    std::vector<std::uint64_t> after(n);  // the potential with candidate j added
    for (std::size_t j = 0; j < n; ++j) {
      p[j] = static_cast<double>(std::uint64_t{w[j]} * d2[j]) / static_cast<double>(potential);
      after[j] = 0;
      for (std::size_t i = 0; i < n; ++i)
        after[j] += std::uint64_t{w[i]} * std::min<std::uint64_t>(d2[i], squared_distance(x[i], x[j]));
    }
    std::vector<double> second(n, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      if (p[j] == 0) continue;
      double worse = 0, tied = 0;  // draw mass of candidates worse than j, and as good as j
      for (std::size_t i = 0; i < n; ++i) {
        if (after[i] > after[j]) worse += p[i];
        if (after[i] == after[j]) tied += p[i];
      }
      // The best of `trials` draws is in j's tie group, and its first member drawn is j.
      second[j] = (std::pow(worse + tied, trials) - std::pow(worse, trials)) * p[j] / tied;
    }
    m.second.push_back(second);
  }
  return m;
}

// Pearson's statistic of observed pair counts against a model; cells expected
// under 5 are pooled into one. Returns the statistic and its degrees of freedom.
std::pair<double, int> chi_square(const std::vector<std::vector<int>>& observed, const seeding_model& m, int draws) {
  double statistic = 0, pooled_expected = 0, pooled_observed = 0;
  int cells = 0;
  for (std::size_t a = 0; a < observed.size(); ++a) {
    for (std::size_t j = 0; j < observed.size(); ++j) {
      const double expected = draws * m.first[a] * m.second[a][j];
      if (expected < 5) {
        pooled_expected += expected;
        pooled_observed += observed[a][j];
        continue;
      }
      statistic += (observed[a][j] - expected) * (observed[a][j] - expected) / expected;
      ++cells;
    }
  }
  if (pooled_expected > 0) {
    statistic += (pooled_observed - pooled_expected) * (pooled_observed - pooled_expected) / pooled_expected;
    ++cells;
  } else if (pooled_observed > 0) {
    statistic = std::numeric_limits<double>::infinity();  // drawn where the model says never
  }
  return {statistic, cells - 1};
}

// The chi-square quantile for the upper tail 0.001 (Wilson-Hilferty; within
// 1 % of the exact value from 5 degrees of freedom on).
double chi_square_critical_0_001(int df) {
  const double z = 3.0902;  // the standard normal's 0.999 quantile
  const double v = 2.0 / (9.0 * df);
  return df * std::pow(1 - v + z * std::sqrt(v), 3);
}

TEST(Seeding, KMeansPlusPlusDrawsFollowWeightTimesDSquared) {
  // Six colours along the red axis with pixel counts 5, 1, 3, 2, 4, 1.
  const std::vector<std::pair<std::uint32_t, int>> set = {{0, 5}, {10, 1}, {25, 3}, {60, 2}, {100, 4}, {200, 1}};
  std::vector<packed_rgba> pixels;
  for (auto [red, count] : set)
    for (int c = 0; c < count; ++c) pixels.push_back(pack_rgba(red, 0, 0, 255));
  prepared p = deduplicated(pixels, 1);
  const std::size_t n = p.points.size();
  ASSERT_EQ(n, set.size());
  ASSERT_EQ(2 + static_cast<int>(std::log(2.0)), 2);  // candidates per centre at k = 2

  constexpr int draws = 20000;
  std::vector<std::vector<int>> observed(n, std::vector<int>(n, 0));
  for (std::uint64_t s = 0; s < draws; ++s) {
    const auto centres = seed(p, 2, init_method::kmeanspp, s);
    ASSERT_EQ(centres.size(), 2u);
    const auto index = [&](packed_rgba c) {
      return static_cast<std::size_t>(std::lower_bound(p.points.begin(), p.points.end(), c) - p.points.begin());
    };
    ++observed[index(centres[0])][index(centres[1])];
  }

  const seeding_model greedy = greedy_kmeanspp_model(p.points, p.weights, 2);
  const auto [statistic, df] = chi_square(observed, greedy, draws);
  EXPECT_GE(df, 15);
  EXPECT_LT(statistic, chi_square_critical_0_001(df)) << "chi-square " << statistic << " on " << df << " df";
  RecordProperty("chi_square_greedy", std::to_string(statistic) + " on " + std::to_string(df) + " df, critical " +
                                          std::to_string(chi_square_critical_0_001(df)));

  // The test has the power to tell: the same counts reject plain k-means++
  // (one candidate) and farthest-first (the farthest point, always).
  const seeding_model plain = greedy_kmeanspp_model(p.points, p.weights, 1);
  const auto [plain_statistic, plain_df] = chi_square(observed, plain, draws);
  EXPECT_GT(plain_statistic, chi_square_critical_0_001(plain_df)) << "plain k-means++ not rejected";
  RecordProperty("chi_square_plain", std::to_string(plain_statistic) + " on " + std::to_string(plain_df) + " df");
  seeding_model farthest = greedy;
  for (std::size_t a = 0; a < n; ++a) {
    std::size_t far = 0;
    for (std::size_t j = 0; j < n; ++j)
      if (squared_distance(p.points[j], p.points[a]) > squared_distance(p.points[far], p.points[a])) far = j;
    farthest.second[a].assign(n, 0.0);
    farthest.second[a][far] = 1.0;
  }
  EXPECT_GT(chi_square(observed, farthest, draws).first, 1e3) << "farthest-first not rejected";
}

}  // namespace
}  // namespace kmq
