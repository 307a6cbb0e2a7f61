// Synthetic images for the library's tests: no files, no OpenCV.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/backend.hpp"
#include "kmq/pixels.hpp"
#include "kmq/random.hpp"

namespace kmq::testing {

// Pixels scattered around the given centres (each channel +- spread, clamped),
// per_centre pixels each, shuffled. Alpha is kept from the centre.
std::vector<packed_rgba> clustered_pixels(const std::vector<packed_rgba>& centres, int per_centre, int spread,
                                          std::uint64_t seed);

// Uniformly random colours; opaque unless with_alpha.
std::vector<packed_rgba> random_pixels(std::size_t count, std::uint64_t seed, bool with_alpha = false);

// A smooth photo-like image: gradients plus a little noise, many distinct colours.
std::vector<packed_rgba> gradient_image(std::uint32_t width, std::uint32_t height, std::uint64_t seed);

// One colour drawn from random: red, green, blue (and alpha with with_alpha,
// else 255), each uniform in 0-255.
packed_rgba random_colour(seeded_random& random, bool with_alpha);

// count pixels: seven in eight near one of `centres` random colours (each
// channel +- 12; alpha kept at 255 unless with_alpha), so clusters are real
// and neighbours often share one; one in eight a uniformly random colour.
// collapse_transparent() applied.
std::vector<packed_rgba> clustered_with_noise(std::size_t count, int centres, bool with_alpha, std::uint64_t seed);

// Few distinct opaque colours (4 x 3 x 5 levels), many repeats: large
// weights, many exact ties.
std::vector<packed_rgba> posterised_pixels(std::size_t count, std::uint64_t seed);

// Weighted colours with a label each: what the host refinements (Hartigan's
// method, the swap step) take.
struct weighted_set {
  std::vector<packed_rgba> points;
  std::vector<std::uint32_t> weights;
  std::vector<std::uint32_t> labels;
};

// A backend that holds nothing and does nothing: a test overrides the calls it
// is about (a device that fails, the seam's defaults).
class inert_backend : public backend {
 public:
  std::string name() const override { return "test"; }
  std::string device() const override { return "none"; }
  int threads() const override { return 1; }
  color_histogram histogram(const packed_rgba*, std::size_t) override { return {}; }
  void upload(const packed_rgba*, const std::uint32_t*, std::size_t) override {}
  std::size_t size() const override { return 0; }
  void seed_begin(packed_rgba) override {}
  void seed_add_centre(packed_rgba) override {}
  std::uint64_t seed_potential() override { return 0; }
  void seed_sample(const std::uint64_t*, int, std::uint32_t*) override {}
  void seed_candidate_potentials(const packed_rgba*, int, std::uint64_t*) override {}
  step_stats step(const float*, int) override { return {}; }
  void assign_to_palette(const packed_rgba*, int) override {}
  std::vector<std::uint32_t> labels() override { return {}; }
  void label_pixels(const std::uint32_t*, std::size_t, std::uint8_t*) override {}
};

// ---- tests that need a GPU ---------------------------------------------------

// True where the environment says a GPU must answer: KMQ_REQUIRE_GPU set to
// anything but "" or "0" (KMQ_REQUIRE_GPU=1 on a GPU machine, e.g. the device
// check's test runs).
bool gpu_required();

// For a test that cannot run without a device: skips it with reason, or,
// where gpu_required(), fails it (a GPU machine whose device does not answer
// must not pass by skipping). Both only record the outcome: the caller
// returns right after, e.g. `return testing::skip_or_fail_without_gpu(why);`
// in SetUp() or in the test body.
void skip_or_fail_without_gpu(const std::string& reason);

}  // namespace kmq::testing
