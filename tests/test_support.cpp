#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "kmq/random.hpp"

namespace kmq::testing {

std::vector<packed_rgba> clustered_pixels(const std::vector<packed_rgba>& centres, int per_centre, int spread,
                                          std::uint64_t seed) {
  seeded_random random(seed);
  std::vector<packed_rgba> pixels;
  for (packed_rgba centre : centres) {
    for (int i = 0; i < per_centre; ++i) {
      std::uint32_t c[channels];
      for (int ch = 0; ch < 3; ++ch) {
        const int offset = static_cast<int>(random.below(2 * spread + 1)) - spread;
        c[ch] = static_cast<std::uint32_t>(std::clamp(static_cast<int>(channel_of(centre, ch)) + offset, 0, 255));
      }
      pixels.push_back(pack_rgba(c[0], c[1], c[2], alpha_of(centre)));
    }
  }
  for (std::size_t i = pixels.size(); i > 1; --i) std::swap(pixels[i - 1], pixels[random.below(i)]);
  return pixels;
}

std::vector<packed_rgba> random_pixels(std::size_t count, std::uint64_t seed, bool with_alpha) {
  seeded_random random(seed);
  std::vector<packed_rgba> pixels(count);
  for (auto& p : pixels) {
    p = static_cast<packed_rgba>(random.next());
    if (!with_alpha) p |= 0xff000000u;
  }
  return pixels;
}

std::vector<packed_rgba> gradient_image(std::uint32_t width, std::uint32_t height, std::uint64_t seed) {
  seeded_random random(seed);
  std::vector<packed_rgba> pixels(static_cast<std::size_t>(width) * height);
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      const int noise = static_cast<int>(random.below(9)) - 4;
      const int r = std::clamp(static_cast<int>(255 * x / std::max(1u, width - 1)) + noise, 0, 255);
      const int g = std::clamp(static_cast<int>(255 * y / std::max(1u, height - 1)) - noise, 0, 255);
      const int b = std::clamp(static_cast<int>(128 + 100 * ((x / 7 + y / 5) % 3) / 2) + noise, 0, 255);
      pixels[static_cast<std::size_t>(y) * width + x] = pack_rgba(r, g, b, 255);
    }
  }
  return pixels;
}

packed_rgba random_colour(seeded_random& random, bool with_alpha) {
  const auto r = static_cast<std::uint32_t>(random.below(256)), g = static_cast<std::uint32_t>(random.below(256));
  const auto b = static_cast<std::uint32_t>(random.below(256));
  const auto a = with_alpha ? static_cast<std::uint32_t>(random.below(256)) : 255u;
  return pack_rgba(r, g, b, a);
}

std::vector<packed_rgba> clustered_with_noise(std::size_t count, int centres, bool with_alpha, std::uint64_t seed) {
  seeded_random random(seed);
  std::vector<packed_rgba> centre(static_cast<std::size_t>(centres));
  for (auto& c : centre) c = random_colour(random, with_alpha);
  std::vector<packed_rgba> pixels(count);
  for (auto& p : pixels) {
    if (random.below(8) == 0) {
      p = random_colour(random, with_alpha);
      continue;
    }
    const packed_rgba c = centre[random.below(centre.size())];
    std::uint32_t channel[channels];
    for (int k = 0; k < channels; ++k) {
      const int spread = (k == 3 && !with_alpha) ? 0 : 12;
      const int v = static_cast<int>(channel_of(c, k)) + static_cast<int>(random.below(2 * spread + 1)) - spread;
      channel[k] = static_cast<std::uint32_t>(std::clamp(v, 0, 255));
    }
    p = pack_rgba(channel[0], channel[1], channel[2], channel[3]);
  }
  collapse_transparent(pixels.data(), pixels.size());
  return pixels;
}

std::vector<packed_rgba> posterised_pixels(std::size_t count, std::uint64_t seed) {
  seeded_random random(seed);
  std::vector<packed_rgba> pixels(count);
  for (auto& p : pixels) {
    p = pack_rgba(static_cast<std::uint32_t>(random.below(4)) * 85, static_cast<std::uint32_t>(random.below(3)) * 127,
                  static_cast<std::uint32_t>(random.below(5)) * 60, 255);
  }
  return pixels;
}

bool gpu_required() {
  const char* value = std::getenv("KMQ_REQUIRE_GPU");
  return value != nullptr && value[0] != '\0' && std::string(value) != "0";
}

void skip_or_fail_without_gpu(const std::string& reason) {
  if (gpu_required()) {
    GTEST_FAIL() << reason << " (KMQ_REQUIRE_GPU is set: a test that needs the GPU fails instead of skipping)";
  }
  GTEST_SKIP() << reason;
}

}  // namespace kmq::testing
