// TIFF through libtiff itself, for what OpenCV gets wrong: OpenCV decodes 8-bit
// TIFFs through libtiff's TIFFRGBAImage, which premultiplies unassociated
// ("straight") alpha, so a white pixel at alpha 128 came out grey; and its
// grey path drops the alpha of grey + alpha TIFFs. Internal to kmq_io.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/io/image_decoder.hpp"

namespace kmq::io::detail {

struct tiff_reading {
  // True when image holds the pixels; false for a kind read_tiff leaves to
  // OpenCV (no alpha, not 8 or 16 bits, palette, CMYK, YCbCr, ...) or a file
  // libtiff cannot even open (OpenCV then gives the reason).
  bool decoded = false;
  // The first image's ICC profile (tag 34675), empty when none or implausible;
  // filled whether or not the pixels were decoded here.
  std::vector<std::uint8_t> icc_profile;
  // The file's images (directories), when libtiff can open it; 1 otherwise.
  std::uint32_t pages = 1;
};

// Reads the first image of the TIFF in bytes. Decodes it into image (width,
// height, pixels, has_alpha) when it is RGB or minimum-is-black grey with an
// alpha extra sample (ExtraSamples 1, associated, or 2, unassociated), 8 or 16
// bits unsigned, in strips or tiles, contiguous or planar, any compression
// libtiff reads; its Orientation tag is applied. Throws error(bad_input) with
// path when such an image claims more than max_pixels or its data is corrupt.
tiff_reading read_tiff(const std::vector<std::uint8_t>& bytes, const std::string& path, std::uint64_t max_pixels,
                       decoded_image& image);

}  // namespace kmq::io::detail
