// The common PNG (8-bit RGB or RGBA, not interlaced, every chunk sound)
// decoded with libdeflate and unfiltered here: libpng inflates with zlib and
// unfilters Paeth rows one byte at a time, 0.2 s of a 4K photo where this
// takes under half (bench/NOTES.md, "PNG decoding"). It gives exactly the
// bytes libpng gives. Anything else, including every file libpng would
// complain about (a bad CRC, a short or long image stream, a missing IEND, a
// chunk it does not know), returns false untouched, so libpng decides and
// words the error.
#include <libdeflate.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "format_decoders.hpp"
#include "byte_order.hpp"

namespace kmq::io::detail {
namespace {

bool is_chunk_name(const std::uint8_t* type) {
  for (int i = 0; i < 4; ++i) {
    const std::uint8_t c = type[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

bool named(const std::uint8_t* type, const char* name) { return std::memcmp(type, name, 4) == 0; }

struct decompressor_deleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

#if defined(__SSE2__)
// One pixel's channels in 16-bit lanes: the chain runs from pixel to pixel
// along the row, so only a pixel's channels can go side by side. Every load
// takes 4 bytes (the buffers have 4 to spare at their ends; an RGB pixel's
// fourth lane is never stored): gathering 3 bytes through memory would stall
// each load on the stores before it.
template <int bpp>
void paeth_row(std::uint8_t* row, const std::uint8_t* prior, std::size_t bytes) {
  const __m128i zero = _mm_setzero_si128();
  auto load = [&](const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return _mm_unpacklo_epi8(_mm_cvtsi32_si128(static_cast<int>(v)), zero);
  };
  auto abs16 = [&](__m128i v) { return _mm_max_epi16(v, _mm_sub_epi16(zero, v)); };
  __m128i a = zero, c = zero;
  for (std::size_t i = 0; i < bytes; i += bpp) {
    const __m128i b = load(prior + i);
    const __m128i x = load(row + i);
    const __m128i b_minus_c = _mm_sub_epi16(b, c), a_minus_c = _mm_sub_epi16(a, c);
    const __m128i pa = abs16(b_minus_c), pb = abs16(a_minus_c), pc = abs16(_mm_add_epi16(b_minus_c, a_minus_c));
    const __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
    const __m128i take_a = _mm_cmpeq_epi16(smallest, pa);
    const __m128i take_b = _mm_andnot_si128(take_a, _mm_cmpeq_epi16(smallest, pb));
    const __m128i take_c = _mm_andnot_si128(_mm_or_si128(take_a, take_b), _mm_set1_epi16(-1));
    const __m128i predicted =
        _mm_or_si128(_mm_or_si128(_mm_and_si128(take_a, a), _mm_and_si128(take_b, b)), _mm_and_si128(take_c, c));
    a = _mm_and_si128(_mm_add_epi16(x, predicted), _mm_set1_epi16(0xff));
    c = b;
    const auto out = static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_packus_epi16(a, zero)));
    if (bpp == 4) {
      std::memcpy(row + i, &out, 4);
    } else {
      row[i] = static_cast<std::uint8_t>(out);
      row[i + 1] = static_cast<std::uint8_t>(out >> 8);
      row[i + 2] = static_cast<std::uint8_t>(out >> 16);
    }
  }
}
#else
// The PNG specification's predictor. Photos mostly use it, and its choice
// is a coin toss to a branch predictor: both forms below choose without
// branching.
inline std::uint8_t paeth(int a, int b, int c) {
  const int pa = std::abs(b - c);
  const int pb = std::abs(a - c);
  const int pc = std::abs(a + b - 2 * c);
  const int not_a = -static_cast<int>(pa > pb || pa > pc);  // all ones where a loses
  const int b_or_c = pb <= pc ? b : c;
  return static_cast<std::uint8_t>((a & ~not_a) | (b_or_c & not_a));
}

template <int bpp>
void paeth_row(std::uint8_t* row, const std::uint8_t* prior, std::size_t bytes) {
  for (std::size_t i = 0; i < bpp; ++i) row[i] = static_cast<std::uint8_t>(row[i] + prior[i]);
  for (std::size_t i = bpp; i < bytes; i += bpp) {
    for (int c = 0; c < bpp; ++c) {
      row[i + c] = static_cast<std::uint8_t>(row[i + c] + paeth(row[i + c - bpp], prior[i + c], prior[i + c - bpp]));
    }
  }
}
#endif

// Undoes one row's filter in place; prior is the row above, already undone
// (zeros for the first). False for a filter type the format does not have.
template <int bpp>
bool unfilter_row(std::uint8_t filter, std::uint8_t* row, const std::uint8_t* prior, std::size_t bytes) {
  switch (filter) {
    case 0: return true;
    case 1:
      for (std::size_t i = bpp; i < bytes; ++i) row[i] = static_cast<std::uint8_t>(row[i] + row[i - bpp]);
      return true;
    case 2:
      for (std::size_t i = 0; i < bytes; ++i) row[i] = static_cast<std::uint8_t>(row[i] + prior[i]);
      return true;
    case 3:
      for (std::size_t i = 0; i < bpp; ++i) row[i] = static_cast<std::uint8_t>(row[i] + (prior[i] >> 1));
      for (std::size_t i = bpp; i < bytes; ++i)
        row[i] = static_cast<std::uint8_t>(row[i] + ((row[i - bpp] + prior[i]) >> 1));
      return true;
    case 4: paeth_row<bpp>(row, prior, bytes); return true;
    default: return false;
  }
}

struct png_stream {
  std::uint32_t width = 0, height = 0;
  int channels = 0;  // 3 (RGB) or 4 (RGBA)
  std::vector<std::uint8_t> zlib;  // the IDAT chunks' data, joined
};

// Walks every chunk to IEND the way libpng would accept it, gathering the
// image stream; false at the first thing outside the fast path.
bool read_chunks(const std::uint8_t* data, std::size_t size, png_stream& stream) {
  static const std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size < 8 || std::memcmp(data, signature, 8) != 0) return false;
  std::size_t pos = 8;
  bool header = false, image_data_ended = false, palette = false;
  std::size_t image_bytes = 0;
  std::vector<std::pair<std::size_t, std::size_t>> pieces;  // offset, length
  for (;;) {
    if (size - pos < 12) return false;
    const std::size_t length = be32(data + pos);
    const std::uint8_t* type = data + pos + 4;
    if (length > 0x7fffffffu || length > size - pos - 12 || !is_chunk_name(type)) return false;
    const std::uint8_t* body = data + pos + 8;
    if (libdeflate_crc32(0, type, length + 4) != be32(body + length)) return false;
    const bool idat = named(type, "IDAT");
    if (!header) {
      if (!named(type, "IHDR") || length != 13) return false;
      stream.width = be32(body);
      stream.height = be32(body + 4);
      const std::uint8_t depth = body[8], colour = body[9];
      if (stream.width == 0 || stream.height == 0 || stream.width > 0x7fffffffu || stream.height > 0x7fffffffu) return false;
      if (depth != 8 || (colour != 2 && colour != 6) || body[10] != 0 || body[11] != 0 || body[12] != 0) return false;
      stream.channels = colour == 6 ? 4 : 3;
      header = true;
    } else if (idat) {
      if (image_data_ended) return false;  // IDATs must be consecutive
      pieces.emplace_back(pos + 8, length);
      image_bytes += length;
    } else {
      if (!pieces.empty()) image_data_ended = true;
      if (named(type, "IEND")) break;
      // A palette is allowed (a suggestion) once, before the image data; the
      // other critical chunks and a tRNS (alpha for RGB) go to libpng.
      if (named(type, "PLTE")) {
        if (palette || !pieces.empty() || length == 0 || length % 3 != 0 || length > 768) return false;
        palette = true;
      } else if ((type[0] & 0x20) == 0 || named(type, "tRNS") || named(type, "IHDR")) {
        return false;
      }
    }
    pos += 12 + length;
  }
  if (pieces.empty()) return false;
  stream.zlib.resize(image_bytes);
  std::size_t at = 0;
  for (const auto& [offset, length] : pieces) {
    std::memcpy(stream.zlib.data() + at, data + offset, length);
    at += length;
  }
  return true;
}

// The inflated rows lie in the tail of the pixels' own buffer, starting at
// byte `offset`; they are unfiltered from the front, each row undone in place,
// kept in `undone_row` (the next row's "row above": the pixels written over
// it no longer hold it) and written out as RGBA at the buffer's front. Row y's
// pixels end no later than row y+1's filter byte begins (decode_png_fast sizes
// the buffer so; for RGB one pixel wide, exactly there), so nothing is
// overwritten before it is read; the byte past a row that paeth_row's 4-byte
// load reads is that filter byte, or a spare byte after the last row.
template <int bpp>
bool unfilter_in_place(std::uint8_t* buffer, std::size_t offset, std::size_t width, std::size_t height) {
  const std::size_t row_bytes = width * bpp;
  std::vector<std::uint8_t> undone_row(row_bytes + 4, 0);  // 4 to spare, see paeth_row; zeros above the first row
  for (std::size_t y = 0; y < height; ++y) {
    std::uint8_t* line = buffer + offset + y * (row_bytes + 1);
    std::uint8_t* row = line + 1;
    if (!unfilter_row<bpp>(line[0], row, undone_row.data(), row_bytes)) return false;
    std::memcpy(undone_row.data(), row, row_bytes);
    std::uint8_t* out = buffer + y * width * 4;
    if (bpp == 4) {
      std::memcpy(out, undone_row.data(), row_bytes);
    } else {
      for (std::size_t x = 0; x < width; ++x) {
        out[4 * x] = undone_row[3 * x];
        out[4 * x + 1] = undone_row[3 * x + 1];
        out[4 * x + 2] = undone_row[3 * x + 2];
        out[4 * x + 3] = 0xff;
      }
    }
  }
  return true;
}

}  // namespace

bool decode_png_fast(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                     decoded_image& image) {
  png_stream stream;
  if (!read_chunks(data, size, stream)) return false;
  check_pixel_limit(path, stream.width, stream.height, max_pixels);
  const std::size_t width = stream.width, height = stream.height;
  const std::size_t raw_size = (width * static_cast<std::size_t>(stream.channels) + 1) * height;
  const std::unique_ptr<libdeflate_decompressor, decompressor_deleter> inflater(libdeflate_alloc_decompressor());
  if (!inflater) return false;
  // The rows are inflated into the pixels' own buffer, not a buffer of their
  // own: fresh pages cost more than the copying (on a VM, an 8K photo's 100 MB
  // of rows took 0.3 s of page faults, and made the fast path slower than
  // libpng), and the peak falls by the rows' size. RGB rows are smaller than
  // their RGBA pixels; RGBA rows are one filter byte a row larger, so the
  // buffer gets those h bytes more, rounded up to words (the offset is then
  // never negative), and 4 spare bytes at its end (see paeth_row).
  // The buffer is zero-filled before inflating: a stream too short to fill it
  // (deflate expands at most 1032:1) goes to libpng before any of it is made.
  if (raw_size / 1032 > stream.zlib.size()) return false;
  const std::size_t words = width * height + (stream.channels == 4 ? (height + 3) / 4 : 0) + 1;
  const std::size_t offset = words * 4 - 4 - raw_size;
  std::vector<packed_rgba> pixels(words);
  auto* buffer = reinterpret_cast<std::uint8_t*>(pixels.data());
  std::size_t used_in = 0, produced = 0;
  // The stream must fill the image exactly and end where the IDATs end:
  // libpng complains of anything else, so libpng gets those files.
  if (libdeflate_zlib_decompress_ex(inflater.get(), stream.zlib.data(), stream.zlib.size(), buffer + offset, raw_size,
                                    &used_in, &produced) != LIBDEFLATE_SUCCESS ||
      used_in != stream.zlib.size() || produced != raw_size) {
    return false;
  }
  stream.zlib = {};
  const bool ok = stream.channels == 4 ? unfilter_in_place<4>(buffer, offset, width, height)
                                       : unfilter_in_place<3>(buffer, offset, width, height);
  if (!ok) return false;
  pixels.resize(width * height);
  image.width = stream.width;
  image.height = stream.height;
  image.pixels = std::move(pixels);
  image.has_alpha = stream.channels == 4;
  return true;
}

}  // namespace kmq::io::detail
