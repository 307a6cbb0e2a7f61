// Synthetic images for the library's tests: no files, no OpenCV.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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
