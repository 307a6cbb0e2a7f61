// The palette and the label map as files a user can open elsewhere.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/pixels.hpp"
#include "kmq/remap.hpp"

namespace kmq {

// GIMP palette (.gpl): "GIMP Palette", "Name: <name>", "Columns: 8", one
// "R G B<TAB>#rrggbb a=<alpha> <share>%" line per entry, in palette order.
std::string palette_gpl(const std::vector<packed_rgba>& palette, const std::vector<std::uint64_t>& usage,
                        const std::string& name);

// JSON: {"colors":[{"index":0,"hex":"#rrggbb","rgba":[r,g,b,a],"pixels":n,"share":0.12},...],"total_pixels":N}
std::string palette_json(const std::vector<packed_rgba>& palette, const std::vector<std::uint64_t>& usage);

// A swatch strip PNG: one square per entry, most used first.
std::vector<std::uint8_t> palette_swatch_png(const std::vector<packed_rgba>& palette,
                                             const std::vector<std::uint64_t>& usage);

// The label map in false colours (a fixed, well-separated colour per cluster
// index, the same for every image), as a palette PNG: one colour per cluster.
std::vector<std::uint8_t> labels_false_colour_png(const label_map& labels, std::size_t palette_size);

// The false colour of cluster i (what labels_false_colour_png and the report use).
packed_rgba false_colour(std::size_t index);

}  // namespace kmq
