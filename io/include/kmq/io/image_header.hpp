// Image format and dimensions read from the first bytes of a file, without
// decoding: a file whose header claims more pixels than we accept is refused
// before any decoder allocates for it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kmq::io {

enum class image_format { unknown, png, jpeg, webp, tiff, bmp, gif };

// "PNG", "JPEG", ...; "unknown" for image_format::unknown.
const char* format_name(image_format format) noexcept;

struct image_header {
  image_format format = image_format::unknown;
  // False when the format was recognised but its header is cut short or
  // malformed; width and height are then 0.
  bool has_dimensions = false;
  std::uint32_t width = 0;
  std::uint32_t height = 0;

  std::uint64_t pixel_count() const noexcept { return std::uint64_t{width} * height; }
};

// Looks only at the bytes given (the whole file, or enough of its start).
// For JPEG the dimensions are those stored in the frame header, before any
// EXIF rotation; for TIFF those of the first image; for WebP the canvas.
image_header sniff_image_header(const std::uint8_t* data, std::size_t size) noexcept;

}  // namespace kmq::io
