// JPEG through libjpeg-turbo directly, giving what OpenCV 4.6's JPEG decoder
// gave with IMREAD_COLOR: libjpeg's defaults (JDCT_ISLOW, fancy upsampling),
// grey and colour JPEGs as RGB, four-component (CMYK, YCCK) ones converted
// from libjpeg's CMYK as Chromium (Skia) converts them, then the EXIF
// orientation of the first EXIF APP1 segment applied as Chromium applies it.
// Errors go to this call's own error manager: libjpeg's
// message becomes the reason, its warnings are dropped, nothing is printed.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>

#include "format_decoders.hpp"
#include "kmq/error.hpp"

namespace kmq::io::detail {
namespace {

struct jpeg_failure {
  jpeg_error_mgr manager;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr cinfo) {
  auto* failure = reinterpret_cast<jpeg_failure*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, failure->message);
  std::longjmp(failure->jump, 1);
}

void on_output(j_common_ptr) {}

class jpeg_reader {
 public:
  jpeg_reader() {
    cinfo.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = on_error;
    failure.manager.output_message = on_output;
    failure.message[0] = '\0';
  }
  ~jpeg_reader() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
  jpeg_reader(const jpeg_reader&) = delete;
  jpeg_reader& operator=(const jpeg_reader&) = delete;

  jpeg_decompress_struct cinfo{};
  jpeg_failure failure{};
  bool created = false;
};

// The setjmp frames below hold nothing with a destructor: libjpeg's longjmp
// only ever skips C frames.
bool read_header(jpeg_reader* reader, const std::uint8_t* data, std::size_t size) {
  if (setjmp(reader->failure.jump)) return false;
  jpeg_create_decompress(&reader->cinfo);
  reader->created = true;
  jpeg_mem_src(&reader->cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&reader->cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&reader->cinfo, TRUE);
  return true;
}

// a * b / 255 rounded to the nearest, exactly (Skia's SkMulDiv255Round).
int times_over_255(int a, int b) {
  const int product = a * b + 128;
  return (product + (product >> 8)) >> 8;
}

// CMYK as Adobe stores it (inverted: 255 is no ink) to RGB, as Chromium's
// Skia converts it: each channel times black, over 255, rounded. (OpenCV's
// k - ((255 - c) * k >> 8), used before, came out up to 2 above, black as 1.)
void cmyk_row_to_rgba(const JSAMPLE* cmyk, packed_rgba* out, JDIMENSION width) {
  for (JDIMENSION x = 0; x < width; ++x, cmyk += 4) {
    const int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
    const int r = times_over_255(c, k);
    const int g = times_over_255(m, k);
    const int b = times_over_255(y, k);
    out[x] = pack_rgba(static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(g), static_cast<std::uint32_t>(b),
                       255);
  }
}

// pixels: width * height RGBA; cmyk_row: width * 4 samples (four-component
// files only). A failure once every row is in is no failure, as for OpenCV.
bool read_pixels(jpeg_reader* reader, packed_rgba* pixels, JSAMPLE* cmyk_row) {
  volatile bool rows_done = false;
  if (setjmp(reader->failure.jump)) return rows_done;
  jpeg_decompress_struct* cinfo = &reader->cinfo;
  const bool four = cinfo->num_components == 4;
  cinfo->out_color_space = four ? JCS_CMYK : JCS_EXT_RGBA;
  jpeg_start_decompress(cinfo);
  if (cinfo->output_width != cinfo->image_width || cinfo->output_height != cinfo->image_height ||
      cinfo->output_components != 4)
    ERREXIT(cinfo, JERR_BAD_LENGTH);
  const JDIMENSION width = cinfo->output_width;
  while (cinfo->output_scanline < cinfo->output_height) {
    const JDIMENSION y = cinfo->output_scanline;
    packed_rgba* out = pixels + std::size_t{y} * width;
    JSAMPROW row = four ? cmyk_row : reinterpret_cast<JSAMPROW>(out);
    if (jpeg_read_scanlines(cinfo, &row, 1) != 1) ERREXIT(cinfo, JERR_INPUT_EMPTY);
    if (four) cmyk_row_to_rgba(cmyk_row, out, width);
  }
  rows_done = true;
  jpeg_finish_decompress(cinfo);
  return true;
}

struct exif_reader {
  const std::uint8_t* data;
  std::size_t size;
  bool little;

  // Out of range is the end of parsing.
  bool u16(std::size_t at, std::uint32_t& v) const {
    if (at + 1 >= size) return false;
    v = little ? data[at] | (data[at + 1] << 8) : (data[at] << 8) | data[at + 1];
    return true;
  }
  bool u32(std::size_t at, std::uint32_t& v) const {
    if (at + 3 >= size) return false;
    v = little ? data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (std::uint32_t{data[at + 3]} << 24)
               : (std::uint32_t{data[at]} << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3];
    return true;
  }
};

[[noreturn]] void fail(const std::string& path, const jpeg_reader& reader) {
  throw error(error_kind::bad_input, path,
              std::string("cannot decode JPEG (libjpeg: ") +
                  (reader.failure.message[0] ? reader.failure.message : "corrupt data") + ")");
}

}  // namespace

void apply_orientation(decoded_image& image, int orientation) {
  if (orientation < 2 || orientation > 8) return;
  const std::vector<packed_rgba>& in = image.pixels;
  const std::size_t w = image.width, h = image.height;
  std::vector<packed_rgba> out(in.size());
  const bool transposed = orientation >= 5;
  const std::size_t ow = transposed ? h : w, oh = transposed ? w : h;
  for (std::size_t y = 0; y < oh; ++y) {
    for (std::size_t x = 0; x < ow; ++x) {
      std::size_t sx = 0, sy = 0;  // where (x, y) of the result comes from
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break;           // flip(1)
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;   // flip(-1)
        case 4: sx = x; sy = h - 1 - y; break;           // flip(0)
        case 5: sx = y; sy = x; break;                   // transpose
        case 6: sx = y; sy = ow - 1 - x; break;          // transpose, flip(1)
        case 7: sx = oh - 1 - y; sy = ow - 1 - x; break; // transpose, flip(-1)
        default: sx = oh - 1 - y; sy = x; break;         // 8: transpose, flip(0)
      }
      out[y * ow + x] = in[sy * w + sx];
    }
  }
  image.pixels = std::move(out);
  image.width = static_cast<std::uint32_t>(ow);
  image.height = static_cast<std::uint32_t>(oh);
}

namespace {
constexpr std::size_t offset_to_tiff_header = 6;  // "Exif\0\0"
bool is_exif_app1(const std::uint8_t* payload, std::size_t size) {
  return size > offset_to_tiff_header && std::memcmp(payload, "Exif", 5) == 0;
}
}  // namespace

int exif_orientation_of_app1(const std::uint8_t* payload, std::size_t size) {
  if (!is_exif_app1(payload, size)) return 0;
  return exif_orientation_of_tiff(payload + offset_to_tiff_header, size - offset_to_tiff_header);
}

// As Skia's SkExif reads it for Chromium: a header of "II*\0" or "MM\0*", then
// the first entry of IFD0 tagged Orientation whose type is SHORT, count 1,
// and value 1 to 8 (one of another type or value is passed over).
int exif_orientation_of_tiff(const std::uint8_t* tiff, std::size_t size) {
  if (size < 8) return 0;
  exif_reader exif{tiff, size, tiff[0] == 'I'};
  std::uint32_t mark = 0, start = 0, entries = 0;
  if (!((tiff[0] == 'I' && tiff[1] == 'I') || (tiff[0] == 'M' && tiff[1] == 'M'))) return 0;
  if (!exif.u16(2, mark) || mark != 0x2a) return 0;
  if (!exif.u32(4, start) || !exif.u16(start, entries)) return 0;
  std::size_t at = std::size_t{start} + 2;
  for (std::uint32_t i = 0; i < entries; ++i, at += 12) {
    std::uint32_t tag = 0, type = 0, count = 0, value = 0;
    if (!exif.u16(at, tag) || !exif.u16(at + 2, type) || !exif.u32(at + 4, count) || !exif.u16(at + 8, value)) return 0;
    constexpr std::uint32_t orientation_tag = 0x0112, short_type = 3;
    if (tag == orientation_tag && type == short_type && count == 1 && value >= 1 && value <= 8) {
      return static_cast<int>(value);
    }
  }
  return 0;
}

void decode_jpeg(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                 decoded_image& image) {
  jpeg_reader reader;
  if (!read_header(&reader, data, size)) fail(path, reader);
  const jpeg_decompress_struct& cinfo = reader.cinfo;
  check_pixel_limit(path, cinfo.image_width, cinfo.image_height, max_pixels);
  // The saved markers go with jpeg_finish_decompress: read the orientation
  // now, from the first APP1 that is EXIF (an XMP one may come before it).
  int orientation = 0;
  for (jpeg_saved_marker_ptr marker = cinfo.marker_list; marker; marker = marker->next) {
    if (marker->marker != JPEG_APP0 + 1 || !is_exif_app1(marker->data, marker->data_length)) continue;
    orientation = exif_orientation_of_app1(marker->data, marker->data_length);
    break;
  }
  image.width = cinfo.image_width;
  image.height = cinfo.image_height;
  image.pixels.resize(std::size_t{image.width} * image.height);
  std::vector<JSAMPLE> cmyk_row(cinfo.num_components == 4 ? std::size_t{image.width} * 4 : 0);
  if (!read_pixels(&reader, image.pixels.data(), cmyk_row.data())) fail(path, reader);
  image.has_alpha = false;
  apply_orientation(image, orientation);
}

}  // namespace kmq::io::detail
