// PNG through libpng directly, giving what OpenCV 4.6's PNG decoder gave with
// IMREAD_UNCHANGED: the channels it chose (grey, grey + alpha as RGBA, RGB,
// RGBA), 16-bit samples kept and rounded to 8 here, gAMA ignored; except that
// a tRNS is alpha for grey images too (OpenCV ignores it there, so the pixels
// of a grey image's transparent colour came out opaque; Pillow, browsers and
// the PNG specification make them transparent), and that an eXIf orientation
// is applied (read_png_extras). Errors and warnings go to this call's own
// handlers, never to stderr.
#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "byte_order.hpp"
#include "format_decoders.hpp"
#include "icc_profile.hpp"
#include "kmq/error.hpp"

namespace kmq::io::detail {
namespace {

struct png_source {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t at;
};

struct png_failure {
  char message[256];
};

void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* source = static_cast<png_source*>(png_get_io_ptr(png));
  if (length > source->size - source->at) png_error(png, "file ends early (truncated data)");
  std::memcpy(out, source->data + source->at, length);
  source->at += length;
}

void on_error(png_structp png, png_const_charp message) {
  auto* failure = static_cast<png_failure*>(png_get_error_ptr(png));
  std::snprintf(failure->message, sizeof failure->message, "%s", message ? message : "unknown error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

class png_reader {
 public:
  png_reader() {
    png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, on_error, on_warning);
    if (png_) info_ = png_create_info_struct(png_);
  }
  ~png_reader() {
    if (png_) png_destroy_read_struct(&png_, info_ ? &info_ : nullptr, nullptr);
  }
  png_reader(const png_reader&) = delete;
  png_reader& operator=(const png_reader&) = delete;

  png_structp png() const { return png_; }
  png_infop info() const { return info_; }
  png_failure failure{};

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

struct png_layout {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  bool alpha = false;  // OpenCV's choice of 4 channels
  bool gray = false;   // OpenCV's choice of 1 channel
};

// The setjmp frames below hold nothing with a destructor: libpng's longjmp
// only ever skips C frames.
bool read_header(png_structp png, png_infop info, png_source* source, png_layout* layout) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, source, read_from_memory);
  // libpng's default refuses rows or columns over 1,000,000 pixels; the
  // format allows 2^31 - 1, and --max-pixels is enforced from the header
  // before any decoder runs, so the format's limit is the one that applies.
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_read_info(png, info);
  int interlace = 0;
  png_get_IHDR(png, info, &layout->width, &layout->height, &layout->bit_depth, &layout->color_type, &interlace,
               nullptr, nullptr);
  png_bytep trans = nullptr;
  int num_trans = 0;
  png_color_16p trans_values = nullptr;
  switch (layout->color_type) {
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_PALETTE:
    case PNG_COLOR_TYPE_GRAY:
      png_get_tRNS(png, info, &trans, &num_trans, &trans_values);
      layout->alpha = num_trans > 0;
      layout->gray = layout->color_type == PNG_COLOR_TYPE_GRAY && !layout->alpha;
      break;
    default: layout->alpha = true; break;  // grey + alpha, RGBA
  }
  return true;
}

// Every row of every pass, as png_read_image reads them, but from the rows'
// start and stride: its array of row pointers was 8 bytes a row, 480 MB for a
// 1x60,000,000 image (more than its pixels).
void read_rows(png_structp png, int passes, png_bytep first_row, png_size_t stride, std::size_t height) {
  for (int pass = 0; pass < passes; ++pass) {
    for (std::size_t y = 0; y < height; ++y) png_read_row(png, first_row + y * stride, nullptr);
  }
}

// 8 bits: libpng itself expands every kind to RGBA, straight into the pixels.
bool read_rgba8(png_structp png, png_infop info, const png_layout* layout, png_bytep first_row) {
  if (setjmp(png_jmpbuf(png))) return false;
  const bool colour = (layout->color_type & PNG_COLOR_MASK_COLOR) != 0;
  if (layout->alpha) png_set_tRNS_to_alpha(png);
  if (layout->color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (!colour && layout->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (!colour) png_set_gray_to_rgb(png);
  if (!layout->alpha) png_set_filler(png, 0xff, PNG_FILLER_AFTER);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != png_size_t{layout->width} * 4 || png_get_bit_depth(png, info) != 8)
    png_error(png, "unexpected row layout");
  read_rows(png, passes, first_row, png_size_t{layout->width} * 4, layout->height);
  png_read_end(png, nullptr);
  return true;
}

// 16 bits: the samples as stored (host order), rounded to 8 afterwards.
bool read_samples16(png_structp png, png_infop info, const png_layout* layout, png_bytep first_row,
                    png_size_t row_bytes) {
  if (setjmp(png_jmpbuf(png))) return false;
  if (layout->alpha && (layout->color_type == PNG_COLOR_TYPE_RGB || layout->color_type == PNG_COLOR_TYPE_GRAY))
    png_set_tRNS_to_alpha(png);
  png_set_swap(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != row_bytes || png_get_bit_depth(png, info) != 16)
    png_error(png, "unexpected row layout");
  read_rows(png, passes, first_row, row_bytes, layout->height);
  png_read_end(png, nullptr);
  return true;
}

[[noreturn]] void fail(const std::string& path, const png_reader& reader) {
  throw error(error_kind::bad_input, path, std::string("cannot decode PNG (libpng: ") + reader.failure.message + ")");
}

}  // namespace

void decode_png(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                decoded_image& image) {
  if (!decode_png_fast(data, size, path, max_pixels, image)) decode_png_with_libpng(data, size, path, max_pixels, image);
  read_png_extras(data, size, image);
}

void read_png_extras(const std::uint8_t* data, std::size_t size, decoded_image& image) {
  // The chunks before the first IDAT hold them all. As libpng reads them: a
  // chunk whose CRC fails is left out, the first of each kind counts, and a
  // colour chunk after PLTE is out of place and ignored.
  png_colour_chunks colour;
  bool after_palette = false, seen_srgb = false, seen_gamma = false, seen_exif = false, seen_profile = false;
  int orientation = 0;
  std::uint32_t animation_frames = 0;  // acTL's count
  bool image_is_a_frame = false;       // an fcTL before IDAT: the image shown is the animation's first frame
  for (std::size_t at = 8; size >= 12 && at <= size - 12;) {
    const std::uint32_t length = be32(data + at);
    const std::uint8_t* type = data + at + 4;
    const std::uint8_t* body = data + at + 8;
    if (std::memcmp(type, "IDAT", 4) == 0 || length > size - at - 12) break;
    at += std::size_t{length} + 12;
    const bool intact = crc32(crc32(0, nullptr, 0), type, static_cast<uInt>(4 + length)) == be32(body + length);
    const auto is = [type](const char* name) { return std::memcmp(type, name, 4) == 0; };
    if (is("iCCP")) {  // the first only, wherever it stands; a damaged first one means none
      if (!seen_profile && intact) image.icc_profile = png_iccp_profile(body, length);
      seen_profile = true;
      continue;
    }
    if (!intact) continue;
    if (is("PLTE")) {
      after_palette = true;
    } else if (is("eXIf") && !seen_exif) {
      seen_exif = true;
      orientation = exif_orientation_of_tiff(body, length);
    } else if (is("acTL")) {
      if (length == 8 && animation_frames == 0) animation_frames = be32(body);
    } else if (is("fcTL")) {
      image_is_a_frame = true;
    } else if (after_palette) {
      continue;
    } else if (is("sRGB") && !seen_srgb) {
      seen_srgb = true;
      if (length == 1 && body[0] <= 3) colour.srgb_intent = body[0];
    } else if (is("gAMA") && !seen_gamma) {
      seen_gamma = true;
      if (length == 4 && be32(body) != 0 && be32(body) <= 0x7fffffffu) colour.gamma = be32(body);
    } else if (is("cHRM") && !colour.has_chromaticities && length == 32) {
      colour.has_chromaticities = true;
      for (int i = 0; i < 8; ++i) colour.chromaticities[i] = be32(body + 4 * i);
    }
  }
  // An APNG: the frames left out, all of them where the image shown (the
  // default image) is not one of the animation's.
  const std::uint32_t left_out = image_is_a_frame && animation_frames > 0 ? animation_frames - 1 : animation_frames;
  if (left_out > 0 && image.more_images == 0) {
    image.more_images = left_out;
    image.more_images_are = "frame";
  }
  image.colour_chunks = colour;
  // As a browser shows it (Chromium turns a PNG by its eXIf, as a JPEG by its
  // EXIF; Pillow's exif_transpose too).
  apply_orientation(image, orientation);
}

void decode_png_with_libpng(const std::uint8_t* data, std::size_t size, const std::string& path,
                            std::uint64_t max_pixels, decoded_image& image) {
  png_reader reader;
  if (!reader.png() || !reader.info()) throw error(error_kind::bad_input, path, "cannot decode PNG (out of memory)");
  png_source source{data, size, 0};
  png_layout layout;
  if (!read_header(reader.png(), reader.info(), &source, &layout)) fail(path, reader);
  check_pixel_limit(path, layout.width, layout.height, max_pixels);

  const std::size_t width = layout.width, height = layout.height;
  image.width = layout.width;
  image.height = layout.height;
  image.pixels.resize(width * height);
  if (layout.bit_depth != 16) {
    if (!read_rgba8(reader.png(), reader.info(), &layout, reinterpret_cast<png_bytep>(image.pixels.data())))
      fail(path, reader);
  } else {
    const bool colour = (layout.color_type & PNG_COLOR_MASK_COLOR) != 0;
    const std::size_t channels = (colour ? 3 : 1) + ((layout.alpha && !layout.gray) ? 1 : 0);
    std::vector<std::uint16_t> samples(width * height * channels);
    if (!read_samples16(reader.png(), reader.info(), &layout, reinterpret_cast<png_bytep>(samples.data()),
                        width * channels * 2))
      fail(path, reader);
    const std::uint16_t* s = samples.data();
    packed_rgba* out = image.pixels.data();
    for (std::size_t i = 0; i < width * height; ++i, s += channels) {
      switch (channels) {
        case 1: {
          const std::uint32_t g = eight_bits_of(s[0]);
          out[i] = pack_rgba(g, g, g, 255);
          break;
        }
        case 2: {
          const std::uint32_t g = eight_bits_of(s[0]);
          out[i] = pack_rgba(g, g, g, eight_bits_of(s[1]));
          break;
        }
        case 3: out[i] = pack_rgba(eight_bits_of(s[0]), eight_bits_of(s[1]), eight_bits_of(s[2]), 255); break;
        default:
          out[i] = pack_rgba(eight_bits_of(s[0]), eight_bits_of(s[1]), eight_bits_of(s[2]), eight_bits_of(s[3]));
      }
    }
  }
  image.has_alpha = layout.alpha;
}

}  // namespace kmq::io::detail
