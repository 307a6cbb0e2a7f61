// TIFF through libtiff itself, with its own error handler (nothing printed):
// an image with alpha read as stored (OpenCV, which decoded every TIFF before,
// premultiplied straight alpha through libtiff's RGBA interface, so a white
// pixel at alpha 128 came out grey, and dropped the alpha of grey and palette
// images); one without alpha through that RGBA interface, its errors heeded
// (OpenCV went on past them, with black pixels and exit 0), and so for every
// kind OpenCV read and more (2- and 4-bit grey and palettes). Internal to kmq_io.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/io/image_decoder.hpp"

namespace kmq::io::detail {

struct tiff_reading {
  // The first image's ICC profile (tag 34675), empty when none or implausible;
  // filled whether or not the pixels were decoded here.
  std::vector<std::uint8_t> icc_profile;
  // The file's images (directories), when libtiff can open it; 1 otherwise.
  std::uint32_t pages = 1;
};

// Reads the first image of the TIFF in bytes. Decodes it into image (width,
// height, pixels, has_alpha) when it has no alpha and libtiff's RGBA interface
// reads its kind, or when it is RGB, minimum-is-black grey or an 8-bit palette
// with an alpha extra sample (ExtraSamples 1, associated, or 2, unassociated),
// 8 or 16 bits unsigned, in strips or tiles, contiguous or planar, any
// compression libtiff reads; its Orientation tag is applied. Throws
// error(bad_input) with path and the reason for any other kind (floating-point
// samples; alpha beside CMYK, YCbCr or fewer than 8 bits), an image that
// claims more than max_pixels, and a file libtiff cannot open or decode.
tiff_reading read_tiff(const std::vector<std::uint8_t>& bytes, const std::string& path, std::uint64_t max_pixels,
                       decoded_image& image);

}  // namespace kmq::io::detail
