// Every BMP kmq reads, with no library, as Pillow reads it (the reference
// its tests hold it to, tests/data/bmp/): the Windows headers (40 bytes and
// the later 52, 56, 108, 124) and the OS/2 ones (12, 16-64); palettes of 1,
// 2, 4 and 8 bits, uncompressed or run-length encoded (RLE8, RLE4); 16 and 32
// bits as bit fields (BI_BITFIELDS and BI_ALPHABITFIELDS, masks of any
// contiguous layout, widened to 8 bits as v * 255 / max; without masks 5-5-5
// and X8-R8-G8-B8); 24 bits. Alpha comes only from an alpha mask, and where
// every pixel's alpha is 0 the image is opaque, as browsers show it (Pillow
// alone makes such a file, which writers of X8R8G8B8 with a V5 header leave
// at 0, wholly transparent).
//
// OpenCV read these before; it read 32-bit bit fields as B, G, R, A bytes
// whatever the masks said (an X8R8G8B8 file came out transparent), widened
// 5-bit fields by a shift, refused 16-bit bit fields and misread RLE runs that
// pass the row's end (ImageMagick writes them over the row's padding). A run
// or a delta that passes the end of a row or of the image is clipped here;
// pixels the encoding skips take palette entry 0. An index past a short
// palette is black (Pillow: the grey of that index). 24-bit bit fields are
// read only in the B, G, R layout, 32-bit ones with all four masks 0 as
// B, G, R, A (both as Pillow).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "byte_order.hpp"
#include "format_decoders.hpp"
#include "kmq/error.hpp"

namespace kmq::io::detail {
namespace {

constexpr std::uint32_t bi_rgb = 0, bi_rle8 = 1, bi_rle4 = 2, bi_bitfields = 3, bi_jpeg = 4, bi_png = 5,
                        bi_alphabitfields = 6;

// One channel of a bit-field layout: where its bits lie and how they widen to 8.
struct bit_field {
  std::uint32_t mask = 0;
  int shift = 0;
  std::uint32_t max = 0;  // the field's largest value; 0: no such field
  std::uint32_t operator()(std::uint32_t pixel) const {
    if (max == 0) return 0;  // a colour with no bits (alpha without them is 255: the caller's)
    const std::uint32_t v = (pixel & mask) >> shift;
    return max == 255 ? v : static_cast<std::uint32_t>(std::uint64_t{v} * 255 / max);
  }
};

// false for a mask whose bits are not contiguous.
bool field_of(std::uint32_t mask, bit_field& field) {
  field = bit_field{};
  if (mask == 0) return true;
  field.mask = mask;
  while (((mask >> field.shift) & 1u) == 0) ++field.shift;
  field.max = mask >> field.shift;
  return (field.max & (field.max + 1)) == 0;  // all ones up to the top bit (wraps to 0 for 0xffffffff)
}

struct bmp_layout {
  std::uint32_t width = 0, height = 0;
  bool bottom_up = true;
  std::uint32_t bpp = 0, compression = bi_rgb;
  std::uint32_t masks[4] = {};  // R, G, B, A for 16 and 32 bits
  std::vector<packed_rgba> palette;
  std::size_t pixels_at = 0;
};

class bmp_reader {
 public:
  bmp_reader(const std::uint8_t* data, std::size_t size, const std::string& path)
      : data_(data), size_(size), path_(path) {}

  error corrupt(const std::string& why) const {
    return error(error_kind::bad_input, path_, "cannot decode BMP (" + why + ")");
  }
  error unsupported(const std::string& what) const {
    return error(error_kind::bad_input, path_, "unsupported BMP: " + what);
  }

  bmp_layout layout() const {
    if (size_ < 26) throw corrupt("file ends inside the header");
    bmp_layout out;
    const std::uint32_t offset = le32(data_ + 10);
    const std::uint32_t header_size = le32(data_ + 14);
    std::int64_t width = 0, height = 0;
    std::size_t entry_bytes = 4;
    std::uint32_t colours_used = 0;
    if (header_size == 12) {  // OS/2 1.x: 16-bit sizes, palette entries of 3 bytes
      width = le16(data_ + 18);
      height = le16(data_ + 20);
      out.bpp = le16(data_ + 24);
      entry_bytes = 3;
    } else if (header_size >= 16) {
      if (std::uint64_t{14} + header_size > size_) throw corrupt("file ends inside the header");
      width = static_cast<std::int32_t>(le32(data_ + 18));
      height = static_cast<std::int32_t>(le32(data_ + 22));
      out.bpp = le16(data_ + 28);
      if (header_size >= 20) out.compression = le32(data_ + 30);
      if (header_size >= 36) colours_used = le32(data_ + 46);
      // OS/2 2.x headers (16 to 64 bytes, not Windows' 40, 52 or 56) number
      // Huffman 1D and RLE24 as 3 and 4.
      const bool os2 = header_size < 40 || header_size == 64;
      if (os2 && (out.compression == 3 || out.compression == 4))
        throw unsupported("OS/2 Huffman or RLE24 compression");
    } else {
      throw corrupt("header of " + std::to_string(header_size) + " bytes");
    }
    if (width <= 0) throw corrupt("width " + std::to_string(width));
    if (height == 0) throw corrupt("height 0");
    out.width = static_cast<std::uint32_t>(width);
    out.bottom_up = height > 0;
    out.height = static_cast<std::uint32_t>(height > 0 ? height : -height);

    const std::uint32_t bpp = out.bpp, c = out.compression;
    if (bpp != 1 && bpp != 2 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
      throw unsupported(std::to_string(bpp) + " bits per pixel");
    if (c == bi_jpeg || c == bi_png) throw unsupported("embedded JPEG or PNG");
    const bool fields = c == bi_bitfields || c == bi_alphabitfields;
    const bool kind_ok = c == bi_rgb || (c == bi_rle8 && bpp == 8) || (c == bi_rle4 && bpp == 4) ||
                         (fields && (bpp == 16 || bpp == 24 || bpp == 32));
    if (!kind_ok)
      throw unsupported("compression " + std::to_string(c) + " with " + std::to_string(bpp) + " bits per pixel");

    std::size_t after_header = 14 + std::size_t{header_size};
    if (fields) {
      const std::size_t count = c == bi_alphabitfields || header_size >= 56 ? 4 : 3;
      // Masks inside a header of 52 bytes or more, else right after it.
      const std::size_t at = 14 + 40;
      after_header = std::max(after_header, at + 4 * count);
      if (after_header > size_ || at + 4 * count > size_) throw corrupt("file ends inside the bit masks");
      for (std::size_t i = 0; i < count; ++i) out.masks[i] = le32(data_ + at + 4 * i);
    } else if (bpp == 16) {
      out.masks[0] = 0x7c00, out.masks[1] = 0x03e0, out.masks[2] = 0x001f;
    } else if (bpp == 32) {
      out.masks[0] = 0xff0000, out.masks[1] = 0xff00, out.masks[2] = 0xff;
    }
    if (fields && bpp == 24 && (out.masks[0] != 0xff0000 || out.masks[1] != 0xff00 || out.masks[2] != 0xff ||
                                out.masks[3] != 0))
      throw unsupported("24-bit bit fields other than B, G, R bytes");
    if (fields && bpp == 32 && out.masks[0] == 0 && out.masks[1] == 0 && out.masks[2] == 0 && out.masks[3] == 0) {
      out.masks[0] = 0xff0000, out.masks[1] = 0xff00, out.masks[2] = 0xff, out.masks[3] = 0xff000000;  // Pillow's BGRA
    }
    if (fields && out.masks[0] == 0 && out.masks[1] == 0 && out.masks[2] == 0) throw corrupt("empty colour masks");

    out.pixels_at = offset == 0 ? after_header : offset;
    if (bpp <= 8) {
      std::size_t entries = std::size_t{1} << bpp;
      if (colours_used != 0 && colours_used < entries) entries = colours_used;
      // Some writers leave out the entries the pixels never use: the pixel
      // data's offset ends the palette. An offset at (or before) the
      // palette's start does not: the pixels follow the palette (Pillow).
      if (out.pixels_at > after_header) entries = std::min(entries, (out.pixels_at - after_header) / entry_bytes);
      else out.pixels_at = after_header + entries * entry_bytes;
      if (after_header + entries * entry_bytes > size_) throw corrupt("file ends inside the palette");
      out.palette.assign(std::size_t{1} << bpp, pack_rgba(0, 0, 0, 255));  // an index past the palette: black
      for (std::size_t i = 0; i < entries; ++i) {
        const std::uint8_t* e = data_ + after_header + i * entry_bytes;
        out.palette[i] = pack_rgba(e[2], e[1], e[0], 255);
      }
    }
    if (out.pixels_at > size_) throw corrupt("pixel data offset past the end of the file");
    return out;
  }

  static std::size_t pitch_of(const bmp_layout& l) { return ((std::uint64_t{l.width} * l.bpp + 31) / 32) * 4; }

  // Before any pixel is allocated: a header can claim a large image in a
  // file of a few bytes. (RLE data can cover any size: --max-pixels bounds it.)
  void check_rows_fit(const bmp_layout& l) const {
    if ((size_ - l.pixels_at) / pitch_of(l) < l.height) throw corrupt("file ends inside the pixel data");
  }

  // Uncompressed rows, bottom-up or top-down (check_rows_fit first).
  void read_rows(const bmp_layout& l, packed_rgba* pixels, bool& any_alpha) const {
    const std::size_t w = l.width;
    const std::size_t pitch = pitch_of(l);
    bit_field f[4];
    for (int i = 0; i < 4; ++i) {
      if (!field_of(l.masks[i], f[i])) throw unsupported("bit masks that are not contiguous");
    }
    any_alpha = false;
    for (std::uint32_t row = 0; row < l.height; ++row) {
      const std::uint8_t* src = data_ + l.pixels_at + std::size_t{row} * pitch;
      packed_rgba* out = pixels + std::size_t{l.bottom_up ? l.height - 1 - row : row} * w;
      switch (l.bpp) {
        case 1:
        case 2:
        case 4:
        case 8: {
          const std::uint32_t per_byte = 8 / l.bpp, low = (1u << l.bpp) - 1;
          for (std::size_t x = 0; x < w; ++x) {
            const std::uint32_t shift = 8 - l.bpp * (1 + static_cast<std::uint32_t>(x % per_byte));
            out[x] = l.palette[(src[x / per_byte] >> shift) & low];
          }
          break;
        }
        case 24:  // B, G, R bytes (bit fields too: only that layout is let in)
          for (std::size_t x = 0; x < w; ++x, src += 3) out[x] = pack_rgba(src[2], src[1], src[0], 255);
          break;
        default:  // 16 and 32 bits: the fields
          for (std::size_t x = 0; x < w; ++x) {
            const std::uint32_t p = l.bpp == 16 ? le16(src + 2 * x) : le32(src + 4 * x);
            const std::uint32_t a = f[3].max != 0 ? f[3](p) : 255;
            any_alpha |= a != 0;
            out[x] = pack_rgba(f[0](p), f[1](p), f[2](p), a);
          }
          break;
      }
    }
  }

  // RLE8 and RLE4: runs of one index (RLE4: two alternating), literal
  // stretches padded to 16 bits, and the escapes end of line, end of bitmap
  // and delta (move right and up).
  void read_rle(const bmp_layout& l, packed_rgba* pixels) const {
    const bool rle8 = l.compression == bi_rle8;
    const std::size_t w = l.width, h = l.height;
    std::fill(pixels, pixels + w * h, l.palette[0]);
    std::size_t at = l.pixels_at, x = 0, y = 0;  // y counts rows in stored order
    auto put = [&](std::uint32_t index) {
      if (x < w && y < h) pixels[(l.bottom_up ? h - 1 - y : y) * w + x] = l.palette[index];
      ++x;
    };
    while (y < h) {
      if (size_ - at < 2) throw corrupt("file ends inside the pixel data");
      const std::uint32_t count = data_[at], value = data_[at + 1];
      at += 2;
      if (count > 0) {
        for (std::uint32_t i = 0; i < count; ++i) put(rle8 ? value : (i % 2 == 0 ? value >> 4 : value & 15u));
      } else if (value == 0) {
        x = 0;
        ++y;
      } else if (value == 1) {
        break;
      } else if (value == 2) {
        if (size_ - at < 2) throw corrupt("file ends inside the pixel data");
        x += data_[at];
        y += data_[at + 1];
        at += 2;
      } else {
        const std::size_t bytes = rle8 ? value : (value + 1) / 2;
        if (size_ - at < bytes) throw corrupt("file ends inside the pixel data");
        for (std::uint32_t i = 0; i < value; ++i) {
          const std::uint8_t b = data_[at + (rle8 ? i : i / 2)];
          put(rle8 ? b : (i % 2 == 0 ? b >> 4 : b & 15u));
        }
        at += std::min(size_ - at, (bytes + 1) & ~std::size_t{1});
      }
    }
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  const std::string& path_;
};

}  // namespace

void decode_bmp(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                decoded_image& image) {
  const bmp_reader reader(data, size, path);
  const bmp_layout layout = reader.layout();
  check_pixel_limit(path, layout.width, layout.height, max_pixels);
  const bool rle = layout.compression == bi_rle8 || layout.compression == bi_rle4;
  if (!rle) reader.check_rows_fit(layout);
  image.width = layout.width;
  image.height = layout.height;
  image.pixels.assign(std::size_t{layout.width} * layout.height, 0);
  bool any_alpha = false;
  if (rle) {
    reader.read_rle(layout, image.pixels.data());
  } else {
    reader.read_rows(layout, image.pixels.data(), any_alpha);
  }
  image.has_alpha = layout.masks[3] != 0 && any_alpha;
  if (layout.masks[3] != 0 && !any_alpha) {
    for (packed_rgba& p : image.pixels) p |= 0xff000000u;  // alpha all 0: opaque, as browsers show it
  }
}

}  // namespace kmq::io::detail
