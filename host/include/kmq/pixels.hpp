// Packed RGBA8 colours: the one pixel format the library works in.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kmq {

// r in the low byte, a in the high byte: the bytes R,G,B,A in memory read as a
// little-endian uint32. Sorting by this key orders colours deterministically.
using packed_rgba = std::uint32_t;

constexpr int channels = 4;

constexpr packed_rgba pack_rgba(std::uint32_t r, std::uint32_t g, std::uint32_t b, std::uint32_t a) {
  return r | (g << 8) | (b << 16) | (a << 24);
}

constexpr std::uint32_t channel_of(packed_rgba c, int channel) { return (c >> (8 * channel)) & 0xffu; }

constexpr std::uint32_t alpha_of(packed_rgba c) { return c >> 24; }

// Exact squared distance between two colours: at most 4 * 255^2, so it fits
// 32 bits and sums of it weighted by pixel counts fit 64 bits.
constexpr std::uint32_t squared_distance(packed_rgba x, packed_rgba y) {
  std::uint32_t total = 0;
  for (int c = 0; c < channels; ++c) {
    const int d = static_cast<int>(channel_of(x, c)) - static_cast<int>(channel_of(y, c));
    total += static_cast<std::uint32_t>(d * d);
  }
  return total;
}

constexpr std::uint32_t squared_norm(packed_rgba x) { return squared_distance(x, 0u); }

// What maps a colour to a palette entry: the exact squared distance, plus a
// penalty larger than any distance (4 * 255^2 < 2^18) when a fully opaque
// colour meets an entry that is not fully opaque, or a fully transparent one
// an entry that is not fully transparent. So alpha 255 and alpha 0 stay exact
// wherever the palette holds such an entry (quantize() sees that it does);
// ties still go to the lowest index. Every backend uses exactly this.
constexpr std::uint32_t alpha_class_penalty = std::uint32_t{1} << 20;

constexpr std::uint32_t palette_distance(packed_rgba x, packed_rgba entry) {
  const std::uint32_t a = alpha_of(x), e = alpha_of(entry);
  const bool crosses = (a == 255 && e != 255) || (a == 0 && e != 0);
  return squared_distance(x, entry) + (crosses ? alpha_class_penalty : 0u);
}

// The colour as it shows composited: each colour channel times alpha / 255,
// rounded to the nearest integer (exact integer arithmetic); alpha stays. What
// the clustering of an image with alpha works on, so that a pixel's colour
// weighs by how much of it shows.
constexpr packed_rgba premultiply(packed_rgba x) {
  const std::uint32_t a = alpha_of(x);
  const auto scale = [a](std::uint32_t v) { return (v * a + 127u) / 255u; };
  return pack_rgba(scale(channel_of(x, 0)), scale(channel_of(x, 1)), scale(channel_of(x, 2)), a);
}

// A fully transparent pixel shows nothing, so all of them become one colour,
// transparent black, before clustering and when errors are measured.
void collapse_transparent(packed_rgba* pixels, std::size_t count);

}  // namespace kmq
