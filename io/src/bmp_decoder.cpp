// The common BMPs read here, with no library: BITMAPINFOHEADER or later
// (header size >= 36), uncompressed 8-bit palette, 24-bit and 32-bit BI_RGB,
// and 32-bit BI_BITFIELDS, giving what OpenCV 4.6's BmpDecoder gave with
// IMREAD_UNCHANGED: palette colours as stored (a grey palette's values are
// the same), 32-bit BI_RGB opaque (its fourth byte is no alpha), 32-bit
// BI_BITFIELDS as B, G, R, A bytes whatever its masks say. Every other kind
// (1/4/16 bits, RLE, OS/2 headers, over 2^20 a side) is left to OpenCV.
#include <cstring>

#include "format_decoders.hpp"
#include "byte_order.hpp"
#include "kmq/error.hpp"

namespace kmq::io::detail {
namespace {

constexpr std::uint32_t bi_rgb = 0, bi_bitfields = 3;

}  // namespace

bool decode_bmp(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                decoded_image& image) {
  if (size < 54) return false;
  const std::uint32_t offset = le32(data + 10);
  const auto header_size = static_cast<std::int32_t>(le32(data + 14));
  if (header_size < 36 || std::uint64_t{14} + static_cast<std::uint32_t>(header_size) > size) return false;
  const auto width = static_cast<std::int32_t>(le32(data + 18));
  const auto signed_height = static_cast<std::int32_t>(le32(data + 22));
  const std::uint32_t bpp = le32(data + 26) >> 16;
  const std::uint32_t compression = le32(data + 30);
  const auto colours_used = static_cast<std::int32_t>(le32(data + 46));
  constexpr std::int32_t most_side = 1 << 20;  // OpenCV's CV_IO_MAX_IMAGE_WIDTH and _HEIGHT
  if (width <= 0 || signed_height == 0 || width > most_side || signed_height > most_side ||
      signed_height < -most_side)
    return false;
  const bool kind_read_here = (bpp == 8 && compression == bi_rgb) || (bpp == 24 && compression == bi_rgb) ||
                              (bpp == 32 && (compression == bi_rgb || compression == bi_bitfields));
  if (!kind_read_here) return false;
  const std::uint32_t height = static_cast<std::uint32_t>(signed_height < 0 ? -signed_height : signed_height);
  const bool bottom_up = signed_height > 0;

  auto corrupt = [&](const char* why) {
    return error(error_kind::bad_input, path, std::string("cannot decode BMP (") + why + ")");
  };
  // The palette follows the header: colours_used entries (256 when 0) of B, G, R, pad.
  std::uint8_t palette[256][4] = {};
  if (bpp == 8) {
    if (colours_used < 0 || colours_used > 256) throw corrupt("palette of more than 256 colours");
    const std::size_t entries = colours_used == 0 ? 256 : static_cast<std::size_t>(colours_used);
    const std::size_t at = 14 + static_cast<std::size_t>(header_size);
    if (at + entries * 4 > size) throw corrupt("file ends inside the palette");
    std::memcpy(palette, data + at, entries * 4);
  }
  check_pixel_limit(path, static_cast<std::uint32_t>(width), height, max_pixels);
  const std::size_t pitch = ((std::size_t(width) * bpp + 7) / 8 + 3) & ~std::size_t{3};
  if (offset > size || (size - offset) / pitch < height) throw corrupt("file ends inside the pixel data");

  const std::size_t w = static_cast<std::size_t>(width);
  image.width = static_cast<std::uint32_t>(width);
  image.height = height;
  image.pixels.resize(w * height);
  for (std::uint32_t row = 0; row < height; ++row) {
    const std::uint8_t* src = data + offset + std::size_t{row} * pitch;
    packed_rgba* out = image.pixels.data() + std::size_t{bottom_up ? height - 1 - row : row} * w;
    switch (bpp) {
      case 8:
        for (std::size_t x = 0; x < w; ++x) {
          const std::uint8_t* c = palette[src[x]];
          out[x] = pack_rgba(c[2], c[1], c[0], 255);
        }
        break;
      case 24:
        for (std::size_t x = 0; x < w; ++x, src += 3) out[x] = pack_rgba(src[2], src[1], src[0], 255);
        break;
      default:
        const bool alpha = compression == bi_bitfields;
        for (std::size_t x = 0; x < w; ++x, src += 4)
          out[x] = pack_rgba(src[2], src[1], src[0], alpha ? src[3] : 255);
        break;
    }
  }
  image.has_alpha = bpp == 32 && compression == bi_bitfields;
  return true;
}

}  // namespace kmq::io::detail
