#include "kmq/color_histogram.hpp"

#include <limits>

#include "color_histogram_hash.hpp"
#include "kmq/error.hpp"

namespace kmq {
namespace {

// Most photos have one alpha for every pixel. Then the colour is 24 bits and
// a table of counters does in linear passes what the hash (random lookups)
// does; worth it from about a megapixel on. The table has two levels:
// a block of 256 counters for each value of the colour's top 16 bits that some
// pixel has, so it costs 1 KiB per block used (a 4K photo: a few MB) instead
// of 64 MiB for all 2^24 colours (bench/NOTES.md, peak memory).
constexpr std::size_t table_min_pixels = std::size_t{1} << 20;
constexpr std::size_t block_size = 256;

bool alpha_is_constant(const packed_rgba* pixels, std::size_t count) {
  const std::uint32_t alpha = alpha_of(pixels[0]);
  for (std::size_t i = 0; i < count; ++i) {
    if (alpha_of(pixels[i]) != alpha) return false;
  }
  return true;
}

color_histogram histogram_by_table(const packed_rgba* pixels, std::size_t count) {
  // For each top-16-bit value: where its block starts in counters, or `none`.
  constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> block_start(std::size_t{1} << 16, none);
  for (std::size_t i = 0; i < count; ++i) block_start[(pixels[i] >> 8) & 0xffffu] = 0;
  std::size_t used = 0;
  // Blocks in ascending order of their top bits, so counters are in key order.
  for (std::uint32_t& start : block_start) {
    if (start == none) continue;
    start = static_cast<std::uint32_t>(used * block_size);
    ++used;
  }
  std::vector<std::uint32_t> table(used * block_size, 0);
  const auto slot = [&](packed_rgba c) { return block_start[(c >> 8) & 0xffffu] + (c & 0xffu); };
  for (std::size_t i = 0; i < count; ++i) ++table[slot(pixels[i])];
  const packed_rgba alpha = pixels[0] & 0xff000000u;
  color_histogram histogram;
  // Counts out, colour numbers in: the table then maps a colour to its index.
  for (std::uint32_t high = 0; high < block_start.size(); ++high) {
    if (block_start[high] == none) continue;
    std::uint32_t* block = table.data() + block_start[high];
    for (std::uint32_t low = 0; low < block_size; ++low) {
      if (block[low] == 0) continue;
      histogram.colors.push_back(alpha | (high << 8) | low);
      histogram.counts.push_back(block[low]);
      block[low] = static_cast<std::uint32_t>(histogram.colors.size() - 1);
    }
  }
  histogram.pixel_to_color.resize(count);
  for (std::size_t i = 0; i < count; ++i) histogram.pixel_to_color[i] = table[slot(pixels[i])];
  return histogram;
}

}  // namespace

color_histogram build_color_histogram(const packed_rgba* pixels, std::size_t count) {
  if (count > std::numeric_limits<std::uint32_t>::max()) {
    throw error(error_kind::invalid_argument, "image has more than 2^32 - 1 pixels");
  }
  if (count >= table_min_pixels && alpha_is_constant(pixels, count)) return histogram_by_table(pixels, count);
  return detail::histogram_by_hash(pixels, count);
}

pixel_points expand_histogram(const color_histogram& histogram) {
  std::vector<std::size_t> next_slot(histogram.counts.size());
  std::size_t total = 0;
  for (std::size_t c = 0; c < histogram.counts.size(); ++c) {
    next_slot[c] = total;
    total += histogram.counts[c];
  }
  pixel_points expanded;
  expanded.points.resize(total);
  expanded.point_to_pixel.resize(total);
  for (std::size_t p = 0; p < histogram.pixel_to_color.size(); ++p) {
    const std::uint32_t color = histogram.pixel_to_color[p];
    const std::size_t slot = next_slot[color]++;
    expanded.points[slot] = histogram.colors[color];
    expanded.point_to_pixel[slot] = static_cast<std::uint32_t>(p);
  }
  return expanded;
}

}  // namespace kmq
