// The decoders kmq_io runs itself, one small file each (png_decoder.cpp,
// jpeg_decoder.cpp, webp_decoder.cpp, bmp_decoder.cpp), and the one that loads OpenCV at run
// time for what is left (opencv_module_loader.cpp). Internal to kmq_io.
//
// Each fills image.width, image.height, image.pixels and image.has_alpha with
// exactly the pixels OpenCV 4.6's imdecode gave before (IMREAD_COLOR for JPEG,
// IMREAD_UNCHANGED otherwise, then 16 bits rounded to 8 as
// (v * 255 + 32767) / 65535), except where OpenCV was wrong (BMP, a grey
// PNG's tRNS, a PNG's eXIf orientation: they follow Pillow), and throws error(bad_input, path, ...) with the
// library's own complaint in the reason. No process-wide state: every call
// has its own error handlers, and nothing is printed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "kmq/io/image_decoder.hpp"

namespace kmq::io::detail {

void decode_png(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                decoded_image& image);
// decode_png is the first where it takes the file, else the second.
// 8-bit RGB and RGBA without interlacing, through libdeflate (png_fast_decoder.cpp):
// the bytes libpng gives, or false, with nothing done, for any other file.
bool decode_png_fast(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                     decoded_image& image);
// What a decoded PNG says beside its pixels, in one walk of its chunks before
// IDAT: its ICC profile (iCCP), the frames after the first of an animated PNG
// (acTL), its sRGB, gAMA and cHRM chunks; and its eXIf orientation, applied
// to the pixels.
void read_png_extras(const std::uint8_t* data, std::size_t size, decoded_image& image);
void decode_png_with_libpng(const std::uint8_t* data, std::size_t size, const std::string& path,
                            std::uint64_t max_pixels, decoded_image& image);
void decode_jpeg(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                 decoded_image& image);
void decode_webp(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                 decoded_image& image);
// Every BMP, as Pillow reads it (bmp_decoder.cpp says where OpenCV, which
// read them before, differed).
void decode_bmp(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                decoded_image& image);
// Throws the --max-pixels error when width x height is over max_pixels.
void check_pixel_limit(const std::string& path, std::uint64_t width, std::uint64_t height, std::uint64_t max_pixels);

// The 8-bit value nearest a 16-bit one, as the OpenCV path rounded it.
constexpr std::uint32_t eight_bits_of(std::uint32_t v16) { return (v16 * 255u + 32767u) / 65535u; }

// The EXIF Orientation (1..8, or 0 for none) of an APP1 segment's payload
// ("Exif\0\0", then the EXIF data; 0 for any other APP1), read as Chromium
// (Skia's SkExif) reads it; exposed for the tests.
int exif_orientation_of_app1(const std::uint8_t* payload, std::size_t size);
// The same from the EXIF data itself (its TIFF header first), as a PNG's eXIf holds it.
int exif_orientation_of_tiff(const std::uint8_t* tiff, std::size_t size);

// The pixels turned by one of the 8 EXIF orientations (2-8; others leave
// them), as OpenCV's flip and transpose turn them; width and height follow.
void apply_orientation(decoded_image& image, int orientation);

}  // namespace kmq::io::detail
