// A read-only view of RGBA8 pixels in rows: what the library's 2-D passes
// (remapping, dithering, metrics, previews) take, so that a crop or a padded
// buffer needs no copy.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kmq/pixels.hpp"

namespace kmq {

struct image_view {
  const packed_rgba* pixels = nullptr;  // first pixel of the first row
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::size_t stride = 0;  // pixels from one row's start to the next's; >= width

  std::size_t pixel_count() const { return std::size_t{width} * height; }
  bool contiguous() const { return stride == width; }
  const packed_rgba* row(std::uint32_t y) const { return pixels + std::size_t{y} * stride; }
};

// A tightly packed image: stride == width.
inline image_view view_of(const packed_rgba* pixels, std::uint32_t width, std::uint32_t height) {
  return image_view{pixels, width, height, width};
}

}  // namespace kmq
