#include "kmq/io/image_header.hpp"

#include "byte_order.hpp"
#include <cstring>

namespace kmq::io {
namespace {

// Every read below is bounds-checked by its caller against size: the file may
// be cut short anywhere, and a header is untrusted input.
using detail::be16;
using detail::be32;
using detail::le16;
using detail::le24;
using detail::le32;

bool starts_with(const std::uint8_t* data, std::size_t size, const char* magic, std::size_t length) {
  return size >= length && std::memcmp(data, magic, length) == 0;
}

image_header with_dimensions(image_format format, std::uint64_t width, std::uint64_t height) {
  image_header header;
  header.format = format;
  // Dimensions that do not fit 32 bits are not a real image header.
  if (width <= UINT32_MAX && height <= UINT32_MAX) {
    header.has_dimensions = true;
    header.width = static_cast<std::uint32_t>(width);
    header.height = static_cast<std::uint32_t>(height);
  }
  return header;
}

image_header sniff_png(const std::uint8_t* d, std::size_t n) {
  // The PNG specification puts IHDR first, always 13 bytes long.
  if (n < 24 || be32(d + 8) != 13 || std::memcmp(d + 12, "IHDR", 4) != 0) return image_header{image_format::png};
  const std::uint32_t width = be32(d + 16), height = be32(d + 20);
  if (width > 0x7fffffffu || height > 0x7fffffffu) return image_header{image_format::png};
  return with_dimensions(image_format::png, width, height);
}

bool is_start_of_frame(std::uint8_t marker) {
  // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC) which share the range.
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

image_header sniff_jpeg(const std::uint8_t* d, std::size_t n) {
  const image_header unreadable{image_format::jpeg};
  std::size_t pos = 2;  // past SOI
  while (pos < n) {
    if (d[pos] != 0xFF) {  // stray bytes between segments, which libjpeg skips
      const void* next = std::memchr(d + pos, 0xFF, n - pos);
      if (next == nullptr) return unreadable;
      pos = static_cast<std::size_t>(static_cast<const std::uint8_t*>(next) - d);
    }
    while (pos < n && d[pos] == 0xFF) ++pos;  // fill bytes may precede any marker
    if (pos >= n) return unreadable;
    const std::uint8_t marker = d[pos++];
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length field
    // A scan or the end before any frame header: there is nothing to size.
    if (marker == 0xD8 || marker == 0xD9 || marker == 0xDA || marker == 0x00) return unreadable;
    if (pos + 2 > n) return unreadable;
    const std::size_t length = be16(d + pos);
    if (length < 2) return unreadable;
    if (is_start_of_frame(marker)) {
      // length(2) precision(1) height(2) width(2)
      if (length < 8 || pos + 7 > n) return unreadable;
      return with_dimensions(image_format::jpeg, be16(d + pos + 5), be16(d + pos + 3));
    }
    pos += length;
  }
  return unreadable;
}

image_header sniff_bmp(const std::uint8_t* d, std::size_t n) {
  if (n < 18) return image_header{image_format::bmp};
  const std::uint32_t info_size = le32(d + 14);
  if (info_size == 12) {  // OS/2 1.x BITMAPCOREHEADER: 16-bit unsigned sizes
    if (n < 22) return image_header{image_format::bmp};
    return with_dimensions(image_format::bmp, le16(d + 18), le16(d + 20));
  }
  if (info_size < 16 || n < 26) return image_header{image_format::bmp};
  const auto width = static_cast<std::int32_t>(le32(d + 18));
  const auto height = static_cast<std::int32_t>(le32(d + 22));
  if (width < 0) return image_header{image_format::bmp};
  // A negative height means rows are stored top-down; the size is its magnitude.
  const std::int64_t rows = height < 0 ? -std::int64_t{height} : std::int64_t{height};
  return with_dimensions(image_format::bmp, static_cast<std::uint64_t>(width), static_cast<std::uint64_t>(rows));
}

image_header sniff_webp(const std::uint8_t* d, std::size_t n) {
  const image_header unreadable{image_format::webp};
  if (n < 30) return unreadable;
  const std::uint8_t* chunk = d + 12;
  const std::uint8_t* payload = d + 20;
  if (std::memcmp(chunk, "VP8 ", 4) == 0) {
    // Lossy: 3-byte frame tag, start code 9D 01 2A, then 14-bit sizes (the top
    // two bits are a scaling hint, not part of the size).
    if (payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A) return unreadable;
    return with_dimensions(image_format::webp, le16(payload + 6) & 0x3fffu, le16(payload + 8) & 0x3fffu);
  }
  if (std::memcmp(chunk, "VP8L", 4) == 0) {
    // Lossless: signature 0x2F, then 14 bits width-1 and 14 bits height-1.
    if (payload[0] != 0x2F) return unreadable;
    const std::uint32_t bits = le32(payload + 1);
    return with_dimensions(image_format::webp, (bits & 0x3fffu) + 1, ((bits >> 14) & 0x3fffu) + 1);
  }
  if (std::memcmp(chunk, "VP8X", 4) == 0) {
    // Extended: 4 bytes of flags, then the canvas size as 24-bit values minus one.
    return with_dimensions(image_format::webp, std::uint64_t{le24(payload + 4)} + 1,
                           std::uint64_t{le24(payload + 7)} + 1);
  }
  return unreadable;
}

image_header sniff_tiff(const std::uint8_t* d, std::size_t n) {
  const image_header unreadable{image_format::tiff};
  const bool little = d[0] == 'I';
  auto u16 = [&](std::uint64_t at) -> std::uint64_t { return little ? le16(d + at) : be16(d + at); };
  auto u32 = [&](std::uint64_t at) -> std::uint64_t { return little ? le32(d + at) : be32(d + at); };
  auto u64 = [&](std::uint64_t at) -> std::uint64_t {
    return little ? (u32(at + 4) << 32) | u32(at) : (u32(at) << 32) | u32(at + 4);
  };
  if (n < 8) return unreadable;
  const bool big_tiff = u16(2) == 43;
  if (big_tiff && (n < 16 || u16(4) != 8)) return unreadable;
  // Classic TIFF: 2-byte entry count, 12-byte entries with a 4-byte value field;
  // BigTIFF: 8-byte count, 20-byte entries with an 8-byte value field.
  const std::uint64_t ifd = big_tiff ? u64(8) : u32(4);
  const std::uint64_t count_size = big_tiff ? 8 : 2, entry_size = big_tiff ? 20 : 12;
  const std::uint64_t value_at = big_tiff ? 12 : 8;
  if (ifd > n || n - ifd < count_size) return unreadable;
  const std::uint64_t entries = big_tiff ? u64(ifd) : u16(ifd);
  if (entries > (n - ifd - count_size) / entry_size) return unreadable;
  std::uint64_t width = 0, height = 0;
  bool have_width = false, have_height = false;
  for (std::uint64_t i = 0; i < entries; ++i) {
    const std::uint64_t entry = ifd + count_size + i * entry_size;
    const std::uint64_t tag = u16(entry), type = u16(entry + 2);
    if (tag != 256 && tag != 257) continue;  // ImageWidth, ImageLength
    std::uint64_t value = 0;
    switch (type) {
      case 3: value = u16(entry + value_at); break;  // SHORT
      case 4: value = u32(entry + value_at); break;  // LONG
      case 16:                                       // LONG8, BigTIFF only
        if (!big_tiff) return unreadable;
        value = u64(entry + value_at);
        break;
      default: return unreadable;
    }
    (tag == 256 ? width : height) = value;
    (tag == 256 ? have_width : have_height) = true;
  }
  if (!have_width || !have_height) return unreadable;
  return with_dimensions(image_format::tiff, width, height);
}

}  // namespace

const char* format_name(image_format format) noexcept {
  switch (format) {
    case image_format::png: return "PNG";
    case image_format::jpeg: return "JPEG";
    case image_format::webp: return "WebP";
    case image_format::tiff: return "TIFF";
    case image_format::bmp: return "BMP";
    case image_format::gif: return "GIF";
    case image_format::unknown: break;
  }
  return "unknown";
}

image_header sniff_image_header(const std::uint8_t* data, std::size_t size) noexcept {
  if (data == nullptr) return {};
  if (starts_with(data, size, "\x89PNG\r\n\x1a\n", 8)) return sniff_png(data, size);
  if (starts_with(data, size, "\xff\xd8\xff", 3)) return sniff_jpeg(data, size);
  if (starts_with(data, size, "RIFF", 4) && size >= 12 && std::memcmp(data + 8, "WEBP", 4) == 0)
    return sniff_webp(data, size);
  if (starts_with(data, size, "II*\0", 4) || starts_with(data, size, "MM\0*", 4) ||
      starts_with(data, size, "II+\0", 4) || starts_with(data, size, "MM\0+", 4))
    return sniff_tiff(data, size);
  if (starts_with(data, size, "BM", 2)) return sniff_bmp(data, size);
  if (starts_with(data, size, "GIF87a", 6) || starts_with(data, size, "GIF89a", 6)) {
    if (size < 10) return image_header{image_format::gif};
    return with_dimensions(image_format::gif, le16(data + 6), le16(data + 8));
  }
  return {};
}

}  // namespace kmq::io
