#include "nearest_palette.hpp"

#include <algorithm>
#include <limits>

#include "kmq/error.hpp"
#include "kmq/quantize_params.hpp"

namespace kmq::detail {

nearest_palette::nearest_palette(const packed_rgba* palette, int count)
    : palette_(palette, palette + (count > 0 ? count : 0)) {
  if (count < 1 || count > max_colors) {
    throw error(error_kind::invalid_argument, "nearest_palette: palette size out of range");
  }
  if (count <= whole_palette_limit) {
    std::vector<std::uint32_t> every(palette_.size());
    for (std::size_t j = 0; j < every.size(); ++j) every[j] = static_cast<std::uint32_t>(j);
    append_blocks(every, whole_);
  } else {
    cells_.resize(cell_count);
  }
  // The remembered last answer starts true: entry 0 is the nearest of its colour.
  last_colour_ = palette_[0];
  last_index_ = 0;
}

std::uint8_t nearest_palette::brute_force(const packed_rgba* palette, int count, packed_rgba colour) {
  std::uint32_t best = 0;
  std::uint32_t best_distance = squared_distance(colour, palette[0]);
  for (int j = 1; j < count; ++j) {
    const std::uint32_t d = squared_distance(colour, palette[j]);
    if (d < best_distance) {
      best_distance = d;
      best = static_cast<std::uint32_t>(j);
    }
  }
  return static_cast<std::uint8_t>(best);
}

void nearest_palette::append_blocks(const std::vector<std::uint32_t>& entries, cell_list& list) {
  list.start = static_cast<std::uint32_t>(pool_.size());
  for (std::size_t first = 0; first < entries.size(); first += block_lanes) {
    block b{};
    for (int lane = 0; lane < block_lanes; ++lane) {
      const std::uint32_t j = entries[std::min(first + static_cast<std::size_t>(lane), entries.size() - 1)];
      b.r[lane] = static_cast<std::int32_t>(channel_of(palette_[j], 0));
      b.g[lane] = static_cast<std::int32_t>(channel_of(palette_[j], 1));
      b.b[lane] = static_cast<std::int32_t>(channel_of(palette_[j], 2));
      b.a[lane] = static_cast<std::int32_t>(channel_of(palette_[j], 3));
      b.index[lane] = static_cast<std::int32_t>(j);
    }
    pool_.push_back(b);
  }
  list.blocks = static_cast<std::uint32_t>(pool_.size()) - list.start;
  candidates_listed_ += entries.size();
}

void nearest_palette::build_cell(std::uint32_t cell) {
  // The cell's box: levels [low, high] in every channel.
  int low[channels], high[channels];
  int shift = 0;
  for (int c = 0; c < channels; ++c) {
    const std::uint32_t bits = static_cast<std::uint32_t>(cell_bits[c]);
    low[c] = static_cast<int>(((cell >> shift) & ((1u << bits) - 1)) << (8 - bits));
    high[c] = low[c] + (1 << (8 - bits)) - 1;
    shift += cell_bits[c];
  }

  // bound: the least, over entries, of the farthest squared distance from
  // the entry to the box; every colour of the box has an entry within it.
  const std::size_t n = palette_.size();
  std::uint32_t nearest[max_colors];
  std::uint32_t bound = std::numeric_limits<std::uint32_t>::max();
  for (std::size_t j = 0; j < n; ++j) {
    std::uint32_t near = 0, far = 0;
    for (int c = 0; c < channels; ++c) {
      const int v = static_cast<int>(channel_of(palette_[j], c));
      const int below = low[c] - v;   // > 0: the box lies above v
      const int above = v - high[c];  // > 0: the box lies below v
      const int gap = std::max(0, std::max(below, above));
      const int reach = std::max(v - low[c], high[c] - v);
      near += static_cast<std::uint32_t>(gap * gap);
      far += static_cast<std::uint32_t>(reach * reach);
    }
    nearest[j] = near;
    bound = std::min(bound, far);
  }
  // An entry farther than bound from the whole box can neither win nor tie
  // there; the others are listed, in index order.
  listed_.clear();
  for (std::size_t j = 0; j < n; ++j) {
    if (nearest[j] <= bound) listed_.push_back(static_cast<std::uint32_t>(j));
  }
  append_blocks(listed_, cells_[cell]);
  ++cells_built_;
}

}  // namespace kmq::detail
