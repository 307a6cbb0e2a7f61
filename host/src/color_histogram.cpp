#include "kmq/color_histogram.hpp"

#include <array>
#include <limits>

#include "kmq/error.hpp"

namespace kmq {
namespace {

// One stable counting-sort pass on byte `shift / 8` of the keys. Returns false
// (and moves nothing) when every key has the same byte there: opaque images
// skip the alpha pass this way.
bool radix_pass(const std::vector<packed_rgba>& keys, const std::vector<std::uint32_t>& order,
                std::vector<packed_rgba>& keys_out, std::vector<std::uint32_t>& order_out, int shift) {
  std::array<std::size_t, 257> offsets{};
  for (packed_rgba key : keys) ++offsets[((key >> shift) & 0xffu) + 1];
  for (std::size_t b = 1; b < offsets.size(); ++b) {
    if (offsets[b] == keys.size()) return false;
  }
  for (std::size_t b = 1; b < offsets.size(); ++b) offsets[b] += offsets[b - 1];
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::size_t slot = offsets[(keys[i] >> shift) & 0xffu]++;
    keys_out[slot] = keys[i];
    order_out[slot] = order[i];
  }
  return true;
}

}  // namespace

color_histogram build_color_histogram(const packed_rgba* pixels, std::size_t count) {
  if (count > std::numeric_limits<std::uint32_t>::max()) {
    throw error(error_kind::invalid_argument, "image has more than 2^32 - 1 pixels");
  }
  std::vector<packed_rgba> keys(pixels, pixels + count);
  std::vector<std::uint32_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = static_cast<std::uint32_t>(i);
  std::vector<packed_rgba> keys_swap(count);
  std::vector<std::uint32_t> order_swap(count);
  for (int shift = 0; shift < 32; shift += 8) {
    if (radix_pass(keys, order, keys_swap, order_swap, shift)) {
      keys.swap(keys_swap);
      order.swap(order_swap);
    }
  }
  keys_swap = {};
  order_swap = {};

  color_histogram histogram;
  histogram.pixel_to_color.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (i == 0 || keys[i] != keys[i - 1]) {
      histogram.colors.push_back(keys[i]);
      histogram.counts.push_back(0);
    }
    ++histogram.counts.back();
    histogram.pixel_to_color[order[i]] = static_cast<std::uint32_t>(histogram.colors.size() - 1);
  }
  return histogram;
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
