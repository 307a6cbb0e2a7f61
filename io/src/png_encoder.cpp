// encode_palette_png(): an indexed PNG in memory. libpng writes the chunks
// before the pixels (it checks an ICC profile); libdeflate compresses the
// pixels (png_image_data.cpp).
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <new>
#include <stdexcept>

#include "kmq/io/png_encoder.hpp"
#include "kmq/error.hpp"
#include "png_image_data.hpp"
#include "png_memory_writer.hpp"

namespace kmq::io {
namespace {

using detail::png_writer;
using detail::write_context;

struct png_layout {
  png_color plte[256];
  png_byte trns[256];
  int entries;
  int trns_entries;
  int bit_depth;
};

// What write_header() did: wrote the chunks before the pixels; found that
// libpng refused part of what it was given, which it then took out of its
// arguments, before writing anything (retry, on a fresh writer: libpng marks
// the whole colour space invalid on one bad chunk); or failed (libpng's error).
enum class header_outcome { written, retry, failed };

// Every libpng call that can fail runs here, after setjmp, with no C++ object
// in this frame whose destructor a longjmp back to it would skip.
header_outcome write_header(png_structp png, png_infop info, const png_layout& layout, std::uint32_t width,
                            std::uint32_t height, bool& with_profile, const std::vector<std::uint8_t>& icc_profile,
                            png_colour_chunks& colour) {
  if (setjmp(png_jmpbuf(png))) return header_outcome::failed;
  // libpng's default limit is 1,000,000 pixels a side; ours is the format's.
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_set_IHDR(png, info, width, height, layout.bit_depth, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_PLTE(png, info, layout.plte, layout.entries);
  if (layout.trns_entries > 0) png_set_tRNS(png, info, layout.trns, layout.trns_entries, nullptr);
  bool profile_written = false;
  if (with_profile && !icc_profile.empty() && icc_profile.size() <= PNG_UINT_31_MAX) {
    // libpng checks the profile (its header, its tag table, RGB data colour
    // space for a palette image) and reports a bad one as an app warning or a
    // benign error, which would otherwise be fatal in some libpng builds:
    // allowed here, they only reach on_warning and libpng leaves the iCCP
    // unset, so such a PNG is written without its profile rather than not at
    // all. Only with a profile, so that no other PNG changes in any way.
    png_set_benign_errors(png, 1);
    // libpng recognises the common sRGB profiles and would then add gAMA and
    // cHRM chunks derived from them: redundant beside iCCP (which readers
    // prefer), about 60 bytes. Skipping that check writes the profile alone.
    png_set_option(png, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);
    png_set_iCCP(png, info, "ICC profile", PNG_COMPRESSION_TYPE_BASE, icc_profile.data(),
                 static_cast<png_uint_32>(icc_profile.size()));
    profile_written = png_get_valid(png, info, PNG_INFO_iCCP) != 0;
    if (!profile_written && colour.any()) {
      with_profile = false;  // refused: the colour chunks stand in for it
      return header_outcome::retry;
    }
  }
  if (!profile_written && colour.any()) {
    // libpng checks the values (a gAMA or cHRM it finds absurd is a benign
    // error): such a chunk is left out, never the PNG nor the others.
    png_set_benign_errors(png, 1);
    if (colour.srgb_intent >= 0) {
      png_set_sRGB(png, info, colour.srgb_intent);
      if (png_get_valid(png, info, PNG_INFO_sRGB) == 0) {
        colour.srgb_intent = -1;
        return header_outcome::retry;
      }
    } else {
      if (colour.gamma != 0) png_set_gAMA_fixed(png, info, static_cast<png_fixed_point>(colour.gamma));
      if (colour.has_chromaticities) {
        const auto c = [&colour](int i) { return static_cast<png_fixed_point>(colour.chromaticities[i]); };
        png_set_cHRM_fixed(png, info, c(0), c(1), c(2), c(3), c(4), c(5), c(6), c(7));
      }
      if (colour.has_chromaticities && png_get_valid(png, info, PNG_INFO_cHRM) == 0) {
        colour.has_chromaticities = false;
        return header_outcome::retry;
      }
      if (colour.gamma != 0 && png_get_valid(png, info, PNG_INFO_gAMA) == 0) {
        colour.gamma = 0;
        return header_outcome::retry;
      }
    }
  }
  // Signature, IHDR, iCCP or the colour chunks, PLTE and tRNS; the IDATs and IEND are ours.
  png_write_info(png, info);
  return header_outcome::written;
}

}  // namespace

std::vector<std::uint8_t> encode_palette_png(const std::vector<packed_rgba>& palette,
                                             const std::vector<std::uint8_t>& indices, std::uint32_t width,
                                             std::uint32_t height, int zlib_level) {
  return encode_palette_png(palette, indices, width, height, zlib_level, png_metadata{}, 1);
}

std::vector<std::uint8_t> encode_palette_png(const std::vector<packed_rgba>& palette,
                                             const std::vector<std::uint8_t>& indices, std::uint32_t width,
                                             std::uint32_t height, int zlib_level, const png_metadata& metadata) {
  return encode_palette_png(palette, indices, width, height, zlib_level, metadata, 1);
}

std::vector<std::uint8_t> encode_palette_png(const std::vector<packed_rgba>& palette,
                                             const std::vector<std::uint8_t>& indices, std::uint32_t width,
                                             std::uint32_t height, int zlib_level, const png_metadata& metadata,
                                             unsigned threads) {
  if (palette.empty() || palette.size() > 256)
    throw error(error_kind::invalid_argument, "encode_palette_png: the palette has " + std::to_string(palette.size()) +
                                " entries, not 1 to 256");
  if (width == 0 || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX)
    throw error(error_kind::invalid_argument, "encode_palette_png: " + std::to_string(width) + "x" + std::to_string(height) +
                                " is not a PNG size");
  if (std::uint64_t{width} * height != indices.size())
    throw error(error_kind::invalid_argument, "encode_palette_png: " + std::to_string(indices.size()) + " indices for " +
                                std::to_string(width) + "x" + std::to_string(height) + " pixels");
  if (zlib_level < 0 || zlib_level > max_png_level)
    throw error(error_kind::invalid_argument, "encode_palette_png: level " + std::to_string(zlib_level) + " is not 0-12");
  const auto largest = std::max_element(indices.begin(), indices.end());
  if (*largest >= palette.size())
    throw error(error_kind::invalid_argument, "encode_palette_png: index " + std::to_string(*largest) + " at pixel " +
                                std::to_string(largest - indices.begin()) + " is outside the palette of " +
                                std::to_string(palette.size()) + " entries");

  png_layout layout{};
  layout.entries = static_cast<int>(palette.size());
  const int n = layout.entries;
  layout.bit_depth = n <= 2 ? 1 : n <= 4 ? 2 : n <= 16 ? 4 : 8;
  for (int i = 0; i < n; ++i) {
    const packed_rgba c = palette[static_cast<std::size_t>(i)];
    layout.plte[i] = png_color{static_cast<png_byte>(channel_of(c, 0)), static_cast<png_byte>(channel_of(c, 1)),
                               static_cast<png_byte>(channel_of(c, 2))};
    layout.trns[i] = static_cast<png_byte>(alpha_of(c));
    // tRNS may stop after its last non-opaque entry; the rest read as opaque.
    if (alpha_of(c) < 255) layout.trns_entries = i + 1;
  }

  std::vector<std::uint8_t> out;
  write_context context{&out, {}};
  bool with_profile = !metadata.icc_profile.empty();
  png_colour_chunks colour = metadata.colour_chunks;
  // At most one retry per part libpng may refuse, and one without them all.
  for (int attempt = 0; attempt < 6; ++attempt) {
    out.clear();
    header_outcome outcome;
    {
      const png_writer writer(&context);
      outcome = write_header(writer.png(), writer.info(), layout, width, height, with_profile, metadata.icc_profile,
                             colour);
      if (outcome == header_outcome::written) {
        detail::append_image_data(out, indices.data(), width, height, layout.bit_depth, zlib_level, threads);
        return out;
      }
    }
    if (outcome == header_outcome::retry) continue;
    if (std::string(context.error) == "out of memory") throw std::bad_alloc();
    // Should a libpng still refuse the profile or a colour chunk with a hard
    // error, the picture matters more than they do: once more without them.
    if (!with_profile && !colour.any()) break;
    with_profile = false;
    colour = png_colour_chunks{};
  }
  throw error(error_kind::internal, std::string("libpng: ") + context.error);
}

}  // namespace kmq::io
