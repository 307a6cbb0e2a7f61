// The palette and the label map as files: GIMP .gpl, JSON, a swatch strip PNG,
// and the label map in false colours.
#include "kmq/pipeline/palette_files.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <numeric>

#include <nlohmann/json.hpp>

#include "kmq/error.hpp"
#include "kmq/io/png_encoder.hpp"

namespace kmq {
namespace {

std::uint64_t total_of(const std::vector<std::uint64_t>& usage) {
  return std::accumulate(usage.begin(), usage.end(), std::uint64_t{0});
}

std::uint64_t usage_at(const std::vector<std::uint64_t>& usage, std::size_t i) {
  return i < usage.size() ? usage[i] : 0;
}

double share_of(std::uint64_t pixels, std::uint64_t total) {
  return total == 0 ? 0.0 : static_cast<double>(pixels) / static_cast<double>(total);
}

std::string hex_of(packed_rgba c) {
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", channel_of(c, 0), channel_of(c, 1), channel_of(c, 2));
  return text;
}

void check_palette(const std::vector<packed_rgba>& palette, const char* who) {
  if (palette.empty() || palette.size() > 256)
    throw error(error_kind::invalid_argument,
                std::string(who) + ": the palette has " + std::to_string(palette.size()) + " entries, not 1 to 256");
}

// Twenty colours chosen to be told apart at a glance (after Sasha Trubetskoy's
// list of 20 distinct colours), then, as Glasbey's method does, each next one
// the colour of an 8x8x8 grid farthest from all chosen so far (ties: the first
// in grid order). Distinct by construction; the same on every machine.
std::array<packed_rgba, 256> make_false_colours() {
  static const std::uint32_t first[] = {0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231, 0x911eb4, 0x42d4f4,
                                        0xf032e6, 0xbfef45, 0xfabed4, 0x469990, 0xdcbeff, 0x9a6324, 0xfffac8,
                                        0x800000, 0xaaffc3, 0x808000, 0xffd8b1, 0x000075, 0xa9a9a9};
  std::array<packed_rgba, 256> table{};
  std::size_t n = 0;
  for (const std::uint32_t rgb : first) table[n++] = pack_rgba(rgb >> 16, (rgb >> 8) & 0xff, rgb & 0xff, 255);
  std::vector<packed_rgba> grid;
  for (std::uint32_t r = 0; r < 8; ++r)
    for (std::uint32_t g = 0; g < 8; ++g)
      for (std::uint32_t b = 0; b < 8; ++b) grid.push_back(pack_rgba(r * 255 / 7, g * 255 / 7, b * 255 / 7, 255));
  // nearest[i]: squared distance from grid[i] to the closest colour chosen so far.
  std::vector<std::uint32_t> nearest(grid.size(), ~0u);
  for (std::size_t chosen = 0; n < table.size(); ++n) {
    for (; chosen < n; ++chosen)
      for (std::size_t i = 0; i < grid.size(); ++i) nearest[i] = std::min(nearest[i], squared_distance(grid[i], table[chosen]));
    const auto farthest = std::max_element(nearest.begin(), nearest.end());
    table[n] = grid[static_cast<std::size_t>(farthest - nearest.begin())];
  }
  return table;
}

}  // namespace

packed_rgba false_colour(std::size_t index) {
  static const std::array<packed_rgba, 256> table = make_false_colours();
  return table[index % table.size()];
}

std::string palette_gpl(const std::vector<packed_rgba>& palette, const std::vector<std::uint64_t>& usage,
                        const std::string& name) {
  std::string clean = name;
  std::replace_if(clean.begin(), clean.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  std::string out = "GIMP Palette\nName: " + clean + "\nColumns: 8\n#\n";
  const std::uint64_t total = total_of(usage);
  char line[96];
  for (std::size_t i = 0; i < palette.size(); ++i) {
    const packed_rgba c = palette[i];
    std::snprintf(line, sizeof line, "%3u %3u %3u\t%s a=%u %.2f%%\n", channel_of(c, 0), channel_of(c, 1),
                  channel_of(c, 2), hex_of(c).c_str(), alpha_of(c), 100.0 * share_of(usage_at(usage, i), total));
    out += line;
  }
  return out;
}

std::string palette_json(const std::vector<packed_rgba>& palette, const std::vector<std::uint64_t>& usage) {
  // One colour a line, keys in the documented order: easy to read and to diff.
  const std::uint64_t total = total_of(usage);
  std::string out = "{\"colors\":[";
  for (std::size_t i = 0; i < palette.size(); ++i) {
    const packed_rgba c = palette[i];
    nlohmann::ordered_json colour;
    colour["index"] = i;
    colour["hex"] = hex_of(c);
    colour["rgba"] = {channel_of(c, 0), channel_of(c, 1), channel_of(c, 2), alpha_of(c)};
    colour["pixels"] = usage_at(usage, i);
    colour["share"] = share_of(usage_at(usage, i), total);
    out += (i == 0 ? "\n  " : ",\n  ") + colour.dump();
  }
  return out + "\n],\"total_pixels\":" + std::to_string(total) + "}\n";
}

std::vector<std::uint8_t> palette_swatch_png(const std::vector<packed_rgba>& palette,
                                             const std::vector<std::uint64_t>& usage) {
  check_palette(palette, "palette_swatch_png");
  constexpr std::uint32_t side = 32;
  std::vector<std::size_t> order(palette.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return usage_at(usage, a) > usage_at(usage, b); });
  std::vector<packed_rgba> sorted(palette.size());
  for (std::size_t i = 0; i < order.size(); ++i) sorted[i] = palette[order[i]];
  const auto width = static_cast<std::uint32_t>(side * palette.size());
  std::vector<std::uint8_t> indices(std::size_t{width} * side);
  for (std::uint32_t y = 0; y < side; ++y)
    for (std::uint32_t x = 0; x < width; ++x) indices[std::size_t{y} * width + x] = static_cast<std::uint8_t>(x / side);
  return io::encode_palette_png(sorted, indices, width, side, io::default_png_level);
}

std::vector<std::uint8_t> labels_false_colour_png(const label_map& labels, std::size_t palette_size) {
  if (palette_size == 0 || palette_size > 256)
    throw error(error_kind::invalid_argument, "labels_false_colour_png: palette size " + std::to_string(palette_size) +
                                                  " is not 1 to 256");
  std::vector<packed_rgba> colours(palette_size);
  for (std::size_t i = 0; i < palette_size; ++i) colours[i] = false_colour(i);
  return io::encode_palette_png(colours, labels.indices, labels.width, labels.height, io::default_png_level);
}

}  // namespace kmq
