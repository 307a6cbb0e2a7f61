// The variance-split seeding (variance_split_seed.hpp) against a host
// reference that measures every cut's error directly, and quantize()'s use of
// it as one more run beside the automatic k-means++ seedings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/quantize.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"
#include "variance_split_seed.hpp"

namespace kmq {
namespace {

struct weighted {
  packed_rgba colour;
  std::uint64_t weight;
};

// Squared error of a set of colours about its own mean, summed directly
// (long double: another computation than the seeding's integer moments).
long double squared_error(const std::vector<weighted>& set) {
  long double weight = 0, mean[channels] = {};
  for (const weighted& w : set) {
    weight += w.weight;
    for (int c = 0; c < channels; ++c) mean[c] += static_cast<long double>(w.weight) * channel_of(w.colour, c);
  }
  for (long double& m : mean) m /= weight;
  long double total = 0;
  for (const weighted& w : set) {
    for (int c = 0; c < channels; ++c) {
      const long double d = channel_of(w.colour, c) - mean[c];
      total += w.weight * d * d;
    }
  }
  return total;
}

struct reference_cut {
  long double gain = 0;
  std::vector<weighted> left, right;
};

// Every plane between two values of one channel, tried; the first of the
// largest gain (channel, then value), as the seeding promises.
reference_cut best_cut(const std::vector<weighted>& box) {
  reference_cut best;
  const long double whole = squared_error(box);
  for (int c = 0; c < channels; ++c) {
    for (int v = 0; v < 255; ++v) {
      std::vector<weighted> left, right;
      for (const weighted& w : box) (static_cast<int>(channel_of(w.colour, c)) <= v ? left : right).push_back(w);
      if (left.empty() || right.empty()) continue;
      const long double gain = whole - squared_error(left) - squared_error(right);
      if (gain > best.gain * (1 + 1e-12L) + 1e-9L) best = {gain, left, right};
    }
  }
  return best;
}

packed_rgba rounded_mean(const std::vector<weighted>& box) {
  std::uint64_t weight = 0, sum[channels] = {};
  for (const weighted& w : box) {
    weight += w.weight;
    for (int c = 0; c < channels; ++c) sum[c] += w.weight * channel_of(w.colour, c);
  }
  std::uint32_t mean[channels];
  for (int c = 0; c < channels; ++c) mean[c] = static_cast<std::uint32_t>((2 * sum[c] + weight) / (2 * weight));
  return pack_rgba(mean[0], mean[1], mean[2], mean[3]);
}

std::vector<packed_rgba> reference_centres(const std::vector<packed_rgba>& colors,
                                           const std::vector<std::uint64_t>& weights, int k) {
  std::vector<std::vector<weighted>> boxes(1);
  for (std::size_t i = 0; i < colors.size(); ++i) boxes[0].push_back({colors[i], weights[i]});
  while (boxes.size() < static_cast<std::size_t>(k)) {
    std::size_t pick = 0;
    reference_cut cut = best_cut(boxes[0]);
    for (std::size_t b = 1; b < boxes.size(); ++b) {
      reference_cut other = best_cut(boxes[b]);
      if (other.gain > cut.gain * (1 + 1e-12L) + 1e-9L) {
        cut = std::move(other);
        pick = b;
      }
    }
    boxes[pick] = cut.left;
    boxes.push_back(cut.right);
  }
  std::vector<packed_rgba> centres;
  for (const auto& box : boxes) centres.push_back(rounded_mean(box));
  return centres;
}

// Distinct colours from a small cube (so cuts compete on every channel), with
// pixel counts spread over three orders of magnitude (no near-ties).
void random_colours(seeded_random& rng, std::size_t count, bool with_alpha, std::vector<packed_rgba>& colors,
                    std::vector<std::uint64_t>& weights) {
  std::set<packed_rgba> distinct;
  while (distinct.size() < count) {
    const auto value = [&] { return static_cast<std::uint32_t>(rng.below(24) * 11); };
    distinct.insert(pack_rgba(value(), value(), value(), with_alpha ? value() : 255));
  }
  colors.assign(distinct.begin(), distinct.end());
  weights.clear();
  for (std::size_t i = 0; i < count; ++i) weights.push_back(1 + rng.below(1000) * (1 + rng.below(7)));
}

TEST(VarianceSplit, GivesTheCentresOfTheReferenceGreedySplit) {
  seeded_random rng(21);
  for (int trial = 0; trial < 120; ++trial) {
    std::vector<packed_rgba> colors;
    std::vector<std::uint64_t> weights;
    random_colours(rng, 6 + rng.below(40), trial % 3 == 0, colors, weights);
    const int k = 1 + static_cast<int>(rng.below(std::min<std::size_t>(colors.size(), 12)));
    EXPECT_EQ(detail::variance_split_centres(colors, weights, k), reference_centres(colors, weights, k))
        << "trial " << trial << ", " << colors.size() << " colours, k " << k;
  }
}

TEST(VarianceSplit, EveryKUpToTheColoursGivesDistinctCentres) {
  seeded_random rng(22);
  std::vector<packed_rgba> colors;
  std::vector<std::uint64_t> weights;
  random_colours(rng, 60, true, colors, weights);
  for (int k = 1; k <= 60; ++k) {
    const std::vector<packed_rgba> centres = detail::variance_split_centres(colors, weights, k);
    ASSERT_EQ(centres.size(), static_cast<std::size_t>(k));
    EXPECT_EQ(std::set<packed_rgba>(centres.begin(), centres.end()).size(), centres.size()) << "k " << k;
  }
  // k = the colours: a box per colour, so the centres are the colours.
  std::vector<packed_rgba> all = detail::variance_split_centres(colors, weights, 60);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, colors);
}

TEST(VarianceSplit, TwoGroupsAreFoundAtKTwo) {
  // Two clouds far apart on green: the first cut parts them, each centre the
  // rounded mean of its cloud.
  const std::vector<packed_rgba> colors = {pack_rgba(10, 20, 30, 255), pack_rgba(12, 22, 30, 255),
                                           pack_rgba(11, 200, 31, 255), pack_rgba(13, 203, 29, 255)};
  const std::vector<std::uint64_t> weights = {3, 1, 1, 1};
  const std::vector<packed_rgba> centres = detail::variance_split_centres(colors, weights, 2);
  EXPECT_EQ(centres, (std::vector<packed_rgba>{pack_rgba(11, 21, 30, 255), pack_rgba(12, 202, 30, 255)}));
}

TEST(VarianceSplit, HugeCountsStillCutNeighbouringColours) {
  // One pixel one step from 2^k others: the cut gains about 1 beside sums
  // of squares near 2^(k+18), which as a difference of two such doubles
  // rounded to nothing, and the box could not be cut.
  const std::vector<packed_rgba> colors = {pack_rgba(250, 250, 250, 255), pack_rgba(251, 250, 250, 255)};
  for (int shift : {28, 32, 38, 44}) {
    const std::vector<std::uint64_t> weights = {std::uint64_t{1} << shift, 1};
    EXPECT_EQ(detail::variance_split_centres(colors, weights, 2), colors) << shift;
  }
}

TEST(VarianceSplit, RefusesAKOutsideTheColours) {
  const std::vector<packed_rgba> colors = {pack_rgba(1, 2, 3, 255), pack_rgba(4, 5, 6, 255)};
  const std::vector<std::uint64_t> weights = {1, 1};
  EXPECT_THROW(detail::variance_split_centres(colors, weights, 0), error);
  EXPECT_THROW(detail::variance_split_centres(colors, weights, 3), error);
  EXPECT_THROW(detail::variance_split_centres(colors, {1}, 1), error);
}

quantize_result quantized(const std::vector<packed_rgba>& pixels, std::uint32_t width, int k, int threads,
                          init_method init, int restarts, std::uint64_t seed = 0) {
  quantize_options options;
  options.kmeans.k = k;
  options.kmeans.init = init;
  options.kmeans.restarts = restarts;
  options.kmeans.seed = seed;
  auto engine = make_cpu_backend(threads);
  return quantize(view_of(pixels.data(), width, static_cast<std::uint32_t>(pixels.size() / width)), options, *engine);
}

// A gradient with its channels cut to 16 levels: few colours over many
// pixels, so that the split's run fits its work bound up to K=128.
std::vector<packed_rgba> few_colour_photo(std::uint32_t width, std::uint32_t height) {
  std::vector<packed_rgba> photo = testing::gradient_image(width, height, 5);
  for (packed_rgba& p : photo) p = (p & 0xFFF0F0F0u) | 0xFF000000u;
  return photo;
}

TEST(VarianceSplit, AutomaticRestartsAddTheSplitRunUpToItsK) {
  const std::vector<packed_rgba> photo = few_colour_photo(400, 300);
  for (int k : {16, 64, 128}) {
    const quantize_result automatic = quantized(photo, 400, k, 2, init_method::kmeanspp, 0);
    ASSERT_LE(static_cast<std::uint64_t>(k) * automatic.distinct_colors, split_run_work_per_pixel * 400 * 300) << k;
    EXPECT_TRUE(automatic.split_run) << k;
    EXPECT_EQ(automatic.restarts, automatic_restarts(k, automatic.distinct_colors, false, 400 * 300) + 1) << k;
    // What it adds is the run --init split gives alone.
    const quantize_result alone = quantized(photo, 400, k, 2, init_method::variance_split, 1);
    if (automatic.best_restart == automatic.restarts - 1) EXPECT_EQ(automatic.palette, alone.palette) << k;
    EXPECT_LE(automatic.mse, quantized(photo, 400, k, 2, init_method::kmeanspp, 1).mse * 1.02) << k;
  }
  EXPECT_FALSE(quantized(photo, 400, 256, 2, init_method::kmeanspp, 0).split_run);
  const quantize_result asked = quantized(photo, 400, 16, 2, init_method::kmeanspp, 3);
  EXPECT_FALSE(asked.split_run);
  EXPECT_EQ(asked.restarts, 3);
  // Many colours on few pixels: the clustering is most of the process, no split run.
  const std::vector<packed_rgba> busy = testing::gradient_image(200, 150, 5);
  const quantize_result many = quantized(busy, 200, 64, 2, init_method::kmeanspp, 0);
  ASSERT_GT(std::uint64_t{64} * many.distinct_colors, split_run_work_per_pixel * 200 * 150);
  EXPECT_FALSE(many.split_run);
  EXPECT_EQ(many.restarts, automatic_restarts(64, many.distinct_colors, false, 200 * 150));
}

TEST(VarianceSplit, TheSplitRunsRuleBoundsKAlphaAndWorkPerPixel) {
  const std::uint64_t pixels = 160000;  // 3 pairs a pixel: 480,000 = 16 x 30,000
  EXPECT_TRUE(automatic_split_run(16, 30000, false, pixels));
  EXPECT_FALSE(automatic_split_run(16, 30001, false, pixels));
  EXPECT_TRUE(automatic_split_run(16, 15000, true, pixels));  // with alpha counted twice
  EXPECT_FALSE(automatic_split_run(16, 15001, true, pixels));
  const std::uint64_t many = std::uint64_t{1} << 40;
  EXPECT_TRUE(automatic_split_run(split_run_max_k, 1000, false, many));
  EXPECT_FALSE(automatic_split_run(split_run_max_k + 1, 1000, false, many));
  EXPECT_FALSE(automatic_split_run(0, 1000, false, many));
  EXPECT_FALSE(automatic_split_run(2, automatic_restart_alpha_points + 1, true, many));
  // The measured cases: hubble (65,616 colours, 830x723) at K=16 but not 64;
  // the 0.26 MP astronaut (113,382) and baboon (171,045) at neither.
  EXPECT_TRUE(automatic_split_run(16, 65616, false, 830 * 723));
  EXPECT_FALSE(automatic_split_run(64, 65616, false, 830 * 723));
  EXPECT_FALSE(automatic_split_run(16, 113382, false, 512 * 512));
  EXPECT_FALSE(automatic_split_run(16, 171045, false, 512 * 512));
}

TEST(VarianceSplit, TheSplitRunDependsOnNoSeedOrThreadCount) {
  const std::vector<packed_rgba> photo = testing::gradient_image(160, 120, 8);
  const quantize_result first = quantized(photo, 160, 24, 1, init_method::variance_split, 1);
  EXPECT_EQ(first.restarts, 1);
  for (int threads : {2, 3, 4}) {
    for (std::uint64_t seed : {0u, 7u}) {
      const quantize_result other = quantized(photo, 160, 24, threads, init_method::variance_split, 4, seed);
      EXPECT_EQ(other.palette, first.palette) << threads << " threads, seed " << seed;
      EXPECT_EQ(other.restarts, 1);
    }
  }
}

}  // namespace
}  // namespace kmq
