// Every backend against the CPU reference with one thread: the same calls must
// return the same bits (histogram, seeding state, step statistics, labels, the
// label map) and quantize() the same palette and indices. Runs on every
// machine: "cpu4" (the CPU backend with four threads) always, "cuda" where a
// device answers, else it skips with the probe's reason (and fails instead
// where KMQ_REQUIRE_GPU=1: on a GPU machine a skip would hide a broken device).
// Here the list of backends, the histogram and the seeding; the Lloyd steps and
// the label map in test_backend_parity_steps.cpp, the whole quantize() in
// test_backend_parity_quantize.cpp: one executable (backend_parity_test_support.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backend_parity_test_support.hpp"
#include "kmq/backend.hpp"
#include "kmq/backend_select.hpp"
#include "kmq/color_histogram.hpp"
#include "kmq/cuda_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/kmeans.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"

namespace kmq::testing::backend_parity {

// ---- backends ----------------------------------------------------------------

std::unique_ptr<backend> make_named(const std::string& name) {
  if (name == "cpu4") return make_cpu_backend(4);
  if (name == "cuda") return make_cuda_backend();
  ADD_FAILURE() << "unknown backend " << name;
  return nullptr;
}

}  // namespace kmq::testing::backend_parity

namespace kmq {
namespace {

// Synthetic images (no files) come from test_support: clustered_with_noise()
// puts colours near a few centres, so clusters are real and neighbours often
// share a label (the warp-aggregated path), plus some uniform noise (the other
// path); posterised_pixels() has few colours, large weights and many ties.
using testing::clustered_with_noise;
using testing::posterised_pixels;
using namespace testing::backend_parity;

// ---- histogram ---------------------------------------------------------------

TEST_P(BackendParity, HistogramMatchesReference) {
  std::vector<std::vector<packed_rgba>> images = {
      {pack_rgba(1, 2, 3, 4)},
      std::vector<packed_rgba>(257, pack_rgba(9, 9, 9, 255)),
      clustered_with_noise(255, 4, false, 1),
      clustered_with_noise(257, 4, true, 2),
      clustered_with_noise(100003, 16, false, 3),
      clustered_with_noise(100003, 16, true, 4),
      posterised_pixels(70001, 5),
  };
  // From 2^18 pixels with a single alpha the device counts colours in a direct
  // table instead of sorting: one alpha (255, 128, 0), one flat colour, and
  // one stray alpha that must send it back to the sort.
  auto one_alpha = [](std::vector<packed_rgba> pixels, std::uint32_t alpha) {
    for (auto& p : pixels) p = (p & 0xffffffu) | (alpha << 24);
    return pixels;
  };
  images.push_back(clustered_with_noise(300007, 16, false, 6));
  images.push_back(one_alpha(clustered_with_noise(300007, 16, false, 7), 128));
  images.push_back(std::vector<packed_rgba>(1u << 18, pack_rgba(0, 0, 0, 0)));
  images.push_back(std::vector<packed_rgba>((1u << 18) + 1, pack_rgba(255, 255, 255, 255)));
  auto stray = clustered_with_noise(300007, 16, false, 8);
  stray[150000] = (stray[150000] & 0xffffffu) | (254u << 24);
  images.push_back(stray);
  for (std::size_t n = 0; n < images.size(); ++n) {
    const auto& image = images[n];
    const color_histogram want = build_color_histogram(image.data(), image.size());
    const color_histogram got = tested_->histogram(image.data(), image.size());
    EXPECT_EQ(want.colors, got.colors) << "image " << n;
    EXPECT_EQ(want.counts, got.counts) << "image " << n;
    EXPECT_EQ(want.pixel_to_color, got.pixel_to_color) << "image " << n;
  }
}

// quantize() lets a backend keep the pixel map where it made it; the label
// map through the kept map must be the one through the reference's map.
TEST_P(BackendParity, KeptPixelMapGivesTheReferenceLabelMap) {
  const std::vector<std::vector<packed_rgba>> images = {
      {pack_rgba(1, 2, 3, 4)},
      clustered_with_noise(100003, 16, true, 11),   // sorted on the device
      clustered_with_noise(300007, 16, false, 12),  // direct table on the device
  };
  for (std::size_t n = 0; n < images.size(); ++n) {
    const auto& image = images[n];
    color_histogram kept;
    if (!tested_->histogram_keeping_map(image.data(), image.size(), kept)) {
      EXPECT_TRUE(kept.colors.empty() && kept.pixel_to_color.empty()) << "declined, yet changed its output";
      continue;
    }
    const color_histogram want = build_color_histogram(image.data(), image.size());
    ASSERT_EQ(want.colors, kept.colors) << "image " << n;
    ASSERT_EQ(want.counts, kept.counts) << "image " << n;
    EXPECT_TRUE(kept.pixel_to_color.empty()) << "image " << n;
    upload_both(want.colors, want.counts);
    const std::vector<packed_rgba> palette = {pack_rgba(0, 0, 0, 255), pack_rgba(128, 128, 128, 128),
                                              pack_rgba(255, 255, 255, 255), pack_rgba(200, 30, 30, 255)};
    reference_->assign_to_palette(palette.data(), static_cast<int>(palette.size()));
    tested_->assign_to_palette(palette.data(), static_cast<int>(palette.size()));
    std::vector<std::uint8_t> expected(image.size()), got(image.size(), 0xee);
    reference_->label_pixels(want.pixel_to_color.data(), image.size(), expected.data());
    tested_->label_kept_pixels(image.size(), got.data());
    EXPECT_EQ(expected, got) << "image " << n;
    // Any other histogram overwrites the kept map: using it then is refused.
    tested_->histogram(image.data(), image.size());
    EXPECT_THROW(tested_->label_kept_pixels(image.size(), got.data()), error) << "image " << n;
  }
}

// ---- seeding -----------------------------------------------------------------

void check_seeding(backend& reference, backend& tested, const std::vector<packed_rgba>& points, std::uint64_t seed) {
  seeded_random random(seed);
  const int candidates = 20;  // more than one device pass holds
  const packed_rgba first = points[random.below(points.size())];
  reference.seed_begin(first);
  tested.seed_begin(first);
  for (int round = 0; round < 6; ++round) {
    const std::uint64_t potential = reference.seed_potential();
    ASSERT_EQ(potential, tested.seed_potential()) << "round " << round;
    if (potential == 0) return;
    std::vector<std::uint64_t> targets = {0, potential - 1, potential / 2};
    while (targets.size() < static_cast<std::size_t>(candidates)) targets.push_back(random.below(potential));
    std::vector<std::uint32_t> want(targets.size()), got(targets.size());
    reference.seed_sample(targets.data(), static_cast<int>(targets.size()), want.data());
    tested.seed_sample(targets.data(), static_cast<int>(targets.size()), got.data());
    ASSERT_EQ(want, got) << "round " << round;

    std::vector<packed_rgba> colours(targets.size());
    for (std::size_t t = 0; t < targets.size(); ++t) colours[t] = points[want[t]];
    for (int count : {1, 7, candidates}) {
      std::vector<std::uint64_t> want_p(static_cast<std::size_t>(count)), got_p(static_cast<std::size_t>(count));
      reference.seed_candidate_potentials(colours.data(), count, want_p.data());
      tested.seed_candidate_potentials(colours.data(), count, got_p.data());
      ASSERT_EQ(want_p, got_p) << "round " << round << ", " << count << " candidates";
    }
    reference.seed_add_centre(colours[1]);
    tested.seed_add_centre(colours[1]);
  }
}

TEST_P(BackendParity, SeedingStateMatchesReference) {
  for (const std::size_t count : {std::size_t{1}, std::size_t{255}, std::size_t{257}, std::size_t{100003}}) {
    const auto image = clustered_with_noise(count, 8, count == 257, 10 + count);
    // Raw pixels with weight 1 (repeats included) and the weighted histogram.
    upload_both(image, std::vector<std::uint32_t>(image.size(), 1));
    check_seeding(*reference_, *tested_, image, 20 + count);
    const color_histogram h = build_color_histogram(image.data(), image.size());
    upload_both(h.colors, h.counts);
    check_seeding(*reference_, *tested_, h.colors, 30 + count);
  }
}

// The whole seeding, as run_kmeans() calls it: a backend with its own greedy
// loop (CUDA: every step on the device) must give the step-by-step loop's
// centres and leave the same seeding state behind.
TEST_P(BackendParity, WholeSeedingMatchesReference) {
  // 600011 raw points: more chunks of 2048 than the device's selection has
  // threads, so each thread scans several chunk sums.
  for (const std::size_t count : {std::size_t{2}, std::size_t{257}, std::size_t{100003}, std::size_t{600011}}) {
    const bool big = count > 200000;
    const auto image = clustered_with_noise(count, 8, count == 257, 50 + count);
    const color_histogram h = build_color_histogram(image.data(), image.size());
    const std::vector<std::uint32_t> ones(image.size(), 1);
    for (const bool weighted : {true, false}) {
      if (big && weighted) continue;
      const std::vector<packed_rgba>& points = weighted ? h.colors : image;
      const std::vector<std::uint32_t>& weights = weighted ? h.counts : ones;
      upload_both(points, weights);
      for (const int k : {1, 2, 16, 64, 256}) {
        if (big && k != 64) continue;
        if (static_cast<std::size_t>(k) > h.colors.size()) continue;
        for (const init_method init : {init_method::kmeanspp, init_method::random}) {
          const std::uint64_t seed = 1000 + static_cast<std::uint64_t>(k);
          const std::string where = std::to_string(count) + " points" + (weighted ? " (weighted)" : " (raw)") +
                                    ", k=" + std::to_string(k) + (init == init_method::random ? ", random" : "");
          const auto want = seed_centres(*reference_, points, weights, k, init, seed);
          const auto got = seed_centres(*tested_, points, weights, k, init, seed);
          ASSERT_EQ(want, got) << where;
          EXPECT_EQ(reference_->seed_potential(), tested_->seed_potential()) << where;
        }
      }
    }
  }
}

TEST(BackendSeam, KeptPixelMapIsOptional) {
  const auto cpu = make_cpu_backend(1);
  const std::vector<packed_rgba> pixels = {pack_rgba(1, 2, 3, 255), pack_rgba(1, 2, 3, 255)};
  color_histogram out;
  EXPECT_FALSE(cpu->histogram_keeping_map(pixels.data(), pixels.size(), out));
  EXPECT_TRUE(out.colors.empty());
  std::vector<std::uint8_t> labels(pixels.size());
  EXPECT_THROW(cpu->label_kept_pixels(pixels.size(), labels.data()), error);
}

TEST(BackendSeam, GreedySeedingIsOptional) {
  // A backend without a one-call loop (the seam's default) declines and
  // leaves the generator and the centres untouched.
  testing::inert_backend engine;
  seeded_random random(5);
  std::vector<packed_rgba> centres = {pack_rgba(0, 0, 0, 255)};
  EXPECT_FALSE(engine.seed_greedy(random, 2, 2, centres));
  EXPECT_EQ(centres.size(), 1u);
  EXPECT_EQ(random.state(), seeded_random(5).state());
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendParity, ::testing::Values("cpu4", "cuda"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
TEST(CudaProbe, NeverThrowsAndIsStable) {
  const cuda_status first = cuda_probe();
  const cuda_status second = cuda_probe();
  EXPECT_EQ(first.available, second.available);
  EXPECT_EQ(first.device_name, second.device_name);
  if (!first.available) {
    EXPECT_FALSE(first.reason.empty());
    EXPECT_THROW(make_cuda_backend(), error);
  } else {
    EXPECT_TRUE(first.compiled);
    EXPECT_GE(first.device_index, 0);
    EXPECT_FALSE(first.device_name.empty());
    EXPECT_EQ(make_cuda_backend()->name(), "cuda");
  }
}

TEST(CudaProbe, UnavailableBackendIsReportedAsSuch) {
  if (cuda_probe().available) GTEST_SKIP() << "a device answers";
  try {
    make_cuda_backend();
    FAIL() << "make_cuda_backend() returned without a device";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::backend_unavailable);
  }
}

}  // namespace
}  // namespace kmq
