// A PNG's colour space chunks besides iCCP (sRGB, gAMA, cHRM), as read from
// an input and written into its output, so that a viewer that honours them
// (every browser does) shows the palette's colours as it showed the input's.
#pragma once
#include <cstdint>

namespace kmq::io {

struct png_colour_chunks {
  int srgb_intent = -1;                // sRGB's rendering intent 0-3; -1: no sRGB chunk
  std::uint32_t gamma = 0;             // gAMA: the gamma times 100000; 0: no gAMA chunk
  bool has_chromaticities = false;     // cHRM
  std::uint32_t chromaticities[8] = {};  // white x, y, red x, y, green x, y, blue x, y, each times 100000
  bool any() const { return srgb_intent >= 0 || gamma != 0 || has_chromaticities; }
};

}  // namespace kmq::io
