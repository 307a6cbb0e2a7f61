// Image files in: PNG, JPEG, WebP, TIFF and BMP to 8-bit RGBA. Failures are
// kmq::error with the file's path: input_unreadable (missing, unreadable, a
// directory) or bad_input (empty, not an image, truncated, corrupt, over a limit).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/io/png_colour_chunks.hpp"
#include "kmq/image_view.hpp"
#include "kmq/pixels.hpp"

namespace kmq::io {

constexpr std::uint64_t default_max_pixels = std::uint64_t{1} << 28;
constexpr std::uint64_t default_max_file_bytes = std::uint64_t{1} << 30;

struct decode_limits {
  // Images whose header claims more pixels are refused before any decoder
  // allocates for them. At most 2^32 - 1.
  std::uint64_t max_pixels = default_max_pixels;
  // Files larger than this are refused without being read to the end (a
  // FIFO or device that never ends included), 1 GiB by default.
  std::uint64_t max_file_bytes = default_max_file_bytes;
};

struct decoded_image {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<packed_rgba> pixels;  // row-major, width * height, 8-bit RGBA
  bool has_alpha = false;           // the file carried an alpha channel (or a palette tRNS)
  std::uint64_t file_bytes = 0;
  // The embedded ICC colour profile (uncompressed), empty when the file has
  // none: carried into the PNG so colour-managed viewers show the same colours.
  std::vector<std::uint8_t> icc_profile;
  // A PNG's sRGB, gAMA and cHRM chunks, carried into the output likewise.
  png_colour_chunks colour_chunks;
  // Images of the file beyond the one decoded (the first): an animated PNG's
  // other frames, a multi-page TIFF's other pages. run_job() says so.
  std::uint32_t more_images = 0;
  const char* more_images_are = "";  // "frame" or "page"

  image_view view() const { return view_of(pixels.data(), width, height); }
};

// Safe to use from several threads at once, each decoder with its own limits:
// PNG, JPEG, WebP, the common BMPs and TIFFs with alpha are decoded by their
// own libraries with per-call error handlers; the rest goes to the OpenCV
// module, loaded at run time, whose process-wide settings are set once and
// whose calls are serialised (see opencv_module_loader.cpp).
class image_decoder {
 public:
  explicit image_decoder(decode_limits limits = {});

  // Grayscale, 16-bit, palette and CMYK inputs become 8-bit RGBA; a JPEG's
  // EXIF orientation is applied.
  decoded_image decode_file(const std::string& path) const;
  // The same from bytes in memory; name is what errors call it.
  decoded_image decode_bytes(const std::vector<std::uint8_t>& bytes, const std::string& name) const;

  const decode_limits& limits() const { return limits_; }

 private:
  decode_limits limits_;
};

}  // namespace kmq::io
