// read_tiff(): libtiff over the bytes in memory. Images with alpha have their
// samples read as stored (TIFFReadEncodedStrip/Tile), so alpha is never
// premultiplied on the way; the others go through libtiff's RGBA interface.
// Either way a decoding error is the file's error, with libtiff's reason.
#include "tiff_decoder.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

#include "format_decoders.hpp"
#include "icc_profile.hpp"
#include "kmq/error.hpp"
#include "tiff_library.hpp"

namespace kmq::io::detail {
namespace {

// libtiff reads the file through these; with a map it takes strips straight
// from memory instead of copying them.
struct memory_file {
  const std::uint8_t* data;
  std::uint64_t size;
  std::uint64_t pos;
  std::string problem;  // libtiff's first error message
};

tmsize_t read_proc(thandle_t handle, void* buffer, tmsize_t wanted) {
  auto* file = static_cast<memory_file*>(handle);
  if (wanted <= 0 || file->pos >= file->size) return 0;
  const std::uint64_t n = std::min<std::uint64_t>(static_cast<std::uint64_t>(wanted), file->size - file->pos);
  std::memcpy(buffer, file->data + file->pos, static_cast<std::size_t>(n));
  file->pos += n;
  return static_cast<tmsize_t>(n);
}

tmsize_t write_proc(thandle_t, void*, tmsize_t) { return -1; }

toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
  auto* file = static_cast<memory_file*>(handle);
  std::uint64_t base = 0;
  if (whence == SEEK_CUR) base = file->pos;
  if (whence == SEEK_END) base = file->size;
  // toff_t is unsigned: a negative offset arrives as its two's complement.
  const std::uint64_t target = base + offset;
  if (whence != SEEK_SET && (offset > ~std::uint64_t{0} / 2 ? target > base : target < base))
    return static_cast<toff_t>(-1);
  file->pos = target;
  return target;
}

int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t handle) { return static_cast<memory_file*>(handle)->size; }

int map_proc(thandle_t handle, void** base, toff_t* size) {
  auto* file = static_cast<memory_file*>(handle);
  // libtiff only reads a file it opened with "r".
  *base = const_cast<std::uint8_t*>(file->data);
  *size = file->size;
  return 1;
}

void unmap_proc(thandle_t, void*, toff_t) {}

#if TIFFLIB_VERSION >= 20221213  // libtiff 4.5.0: handlers for one TIFF*, not the process
// Errors are kept for our message; warnings (unknown tags and such) say nothing
// a user can act on. Returning 1 keeps libtiff's (and OpenCV's) process-wide
// handlers from printing them too.
int on_error(TIFF*, void* user_data, const char* module, const char* format, va_list args) {
  auto* file = static_cast<memory_file*>(user_data);
  if (file->problem.empty()) {
    char text[512];
    std::vsnprintf(text, sizeof text, format, args);
    file->problem = module != nullptr && *module != '\0' ? std::string(module) + ": " + text : std::string(text);
  }
  return 1;
}

int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }
#endif

struct tiff_closer {
  const tiff_library* api;
  void operator()(TIFF* tif) const { api->close(tif); }
};
using tiff_ptr = std::unique_ptr<TIFF, tiff_closer>;

tiff_ptr open_tiff(const tiff_library& api, memory_file& file) {
#if TIFFLIB_VERSION >= 20221213
  TIFFOpenOptions* options = api.open_options_alloc();
  if (options == nullptr) throw std::bad_alloc();
  api.open_options_set_error_handler(options, on_error, &file);
  api.open_options_set_warning_handler(options, on_warning, &file);
  TIFF* tif = api.client_open("kmq", "r", &file, read_proc, write_proc, seek_proc, close_proc, size_proc, map_proc,
                              unmap_proc, options);
  api.open_options_free(options);
#else
  TIFF* tif = api.client_open("kmq", "r", &file, read_proc, write_proc, seek_proc, close_proc, size_proc, map_proc,
                              unmap_proc);
#endif
  return tiff_ptr(tif, tiff_closer{&api});
}

// The samples of one strip or tile: one buffer holding every sample of a
// pixel together (contiguous), or one buffer a sample (planar).
template <typename T>
struct block {
  const std::vector<std::vector<std::uint8_t>>* planes;
  bool contiguous;
  std::uint32_t samples_per_pixel;
  std::uint32_t width;  // of the strip or tile, in pixels

  std::uint32_t operator()(std::uint32_t sample, std::uint32_t x, std::uint32_t y) const {
    const std::size_t index = contiguous ? (std::size_t{y} * width + x) * samples_per_pixel + sample
                                         : std::size_t{y} * width + x;
    T value;
    std::memcpy(&value, (*planes)[contiguous ? 0 : sample].data() + index * sizeof(T), sizeof(T));
    return value;
  }
};

std::uint32_t to_8bit(std::uint32_t v, std::uint32_t max) { return max == 255 ? v : (v * 255u + 32767u) / 65535u; }

// Straight 8-bit colour from a premultiplied one, both of depth max: the
// nearest integer to 255 * c / a (c > a, which premultiplication cannot give,
// is clamped). Where alpha is 0 the colour is gone: it becomes 0.
std::uint32_t unpremultiply(std::uint32_t c, std::uint32_t a) {
  if (a == 0) return 0;
  return std::min<std::uint32_t>(255u, (2u * 255u * c + a) / (2u * a));
}

// A palette's colours as 8-bit values, read as libtiff's RGBA interface reads
// them: 16-bit entries (the standard) shifted down by 8, unless no entry is
// above 255 (old writers stored 8-bit values), then taken as they are.
struct palette_map {
  std::vector<std::uint8_t> red, green, blue;
};

palette_map read_palette(const tiff_library& api, TIFF* tif, std::uint16_t bits) {
  std::uint16_t *r = nullptr, *g = nullptr, *b = nullptr;
  palette_map map;
  if (api.get_field(tif, TIFFTAG_COLORMAP, &r, &g, &b) != 1 || r == nullptr || g == nullptr || b == nullptr) return map;
  const std::size_t entries = std::size_t{1} << bits;
  bool sixteen = false;
  for (std::size_t i = 0; i < entries; ++i) sixteen = sixteen || r[i] >= 256 || g[i] >= 256 || b[i] >= 256;
  const auto to8 = [sixteen](std::uint16_t v) { return static_cast<std::uint8_t>(sixteen ? v >> 8 : v); };
  for (std::size_t i = 0; i < entries; ++i) {
    map.red.push_back(to8(r[i]));
    map.green.push_back(to8(g[i]));
    map.blue.push_back(to8(b[i]));
  }
  return map;
}

struct layout {
  std::uint32_t width, height;
  std::uint32_t colours;  // 3 (RGB) or 1 (grey, or a palette index); alpha is the sample right after them
  std::uint32_t samples_per_pixel;
  bool contiguous;
  bool alpha;       // the sample after the colours is alpha (else opaque)
  bool inverted;    // grey with 0 as white
  bool associated;  // premultiplied alpha
  std::uint32_t max;  // 255 or 65535
  const palette_map* palette;  // a palette image's colours (8-bit indices), else nullptr
};

template <typename T>
void convert(const block<T>& samples, const layout& l, std::uint32_t rows, std::uint32_t columns,
             packed_rgba* out, std::size_t out_stride) {
  for (std::uint32_t y = 0; y < rows; ++y) {
    packed_rgba* row = out + y * out_stride;
    for (std::uint32_t x = 0; x < columns; ++x) {
      const std::uint32_t a = l.alpha ? samples(l.colours, x, y) : l.max;
      std::uint32_t c[3];
      if (l.palette != nullptr) {
        const std::uint32_t index = samples(0, x, y);
        const std::uint32_t entry[3] = {l.palette->red[index], l.palette->green[index], l.palette->blue[index]};
        for (std::uint32_t i = 0; i < 3; ++i) c[i] = l.associated ? unpremultiply(entry[i], a) : entry[i];
      } else {
        for (std::uint32_t i = 0; i < 3; ++i) {
          const std::uint32_t stored = samples(l.colours == 3 ? i : 0, x, y);
          const std::uint32_t v = l.inverted ? l.max - stored : stored;
          c[i] = l.associated ? unpremultiply(v, a) : to_8bit(v, l.max);
        }
      }
      row[x] = pack_rgba(c[0], c[1], c[2], to_8bit(a, l.max));
    }
  }
}

[[noreturn]] void corrupt(const std::string& path, const memory_file& file, const char* message = "") {
  const std::string why = !file.problem.empty() ? "libtiff: " + file.problem
                          : *message != '\0'    ? "libtiff: " + std::string(message)
                                                : std::string("corrupt or truncated data");
  throw error(error_kind::bad_input, path, "cannot decode TIFF (" + why + ")");
}

// A TIFF without alpha through libtiff's RGBA interface, which reads grey and
// palettes at 1 to 16 bits, RGB at 8 and 16, CMYK, YCbCr (JPEG-compressed
// too), CIELab and LogLuv (OpenCV read these through the same interface, but
// went on past its errors with the pixels black). The rows come in stored
// order, for apply_orientation to turn. A kind it refuses (floating-point
// samples, say) is refused with its reason.
void read_rgba_image(const tiff_library& api, TIFF* tif, memory_file& file, const std::string& path,
                     std::uint16_t orientation, decoded_image& image) {
  char message[1024] = "";
  if (api.rgba_image_ok(tif, message) != 1)
    throw error(error_kind::bad_input, path, std::string("unsupported TIFF (libtiff: ") + message + ")");
  TIFFRGBAImage rgba{};
  if (api.rgba_image_begin(&rgba, tif, 1, message) != 1) corrupt(path, file, message);
  const std::unique_ptr<TIFFRGBAImage, decltype(api.rgba_image_end)> end(&rgba, api.rgba_image_end);
  rgba.req_orientation = rgba.orientation;  // no flip: stored order
  image.width = rgba.width;
  image.height = rgba.height;
  image.pixels.assign(std::size_t{rgba.width} * rgba.height, 0);
  // The raster's words are ABGR, R in the low byte: packed_rgba's layout.
  static_assert(sizeof(packed_rgba) == sizeof(std::uint32_t), "one raster word a pixel");
  if (api.rgba_image_get(&rgba, reinterpret_cast<std::uint32_t*>(image.pixels.data()), rgba.width, rgba.height) != 1)
    corrupt(path, file, message);
  apply_orientation(image, orientation);
  image.has_alpha = false;
}

}  // namespace

tiff_reading read_tiff(const std::vector<std::uint8_t>& bytes, const std::string& path, std::uint64_t max_pixels,
                       decoded_image& image) {
  tiff_reading result;
  const tiff_library& api = tiff_api(path);
  memory_file file{bytes.data(), bytes.size(), 0, {}};
  const tiff_ptr owner = open_tiff(api, file);
  TIFF* tif = owner.get();
  if (tif == nullptr) corrupt(path, file);
  result.pages = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(api.number_of_directories(tif)));

  std::uint32_t icc_size = 0;
  void* icc = nullptr;
  if (api.get_field(tif, TIFFTAG_ICCPROFILE, &icc_size, &icc) == 1 && icc != nullptr &&
      plausible_icc_profile(static_cast<const std::uint8_t*>(icc), icc_size)) {
    const auto* p = static_cast<const std::uint8_t*>(icc);
    result.icc_profile.assign(p, p + icc_size);
  }

  std::uint32_t width = 0, height = 0;
  std::uint16_t photometric = 0, samples_per_pixel = 1, bits = 1, sample_format = SAMPLEFORMAT_UINT,
                planar = PLANARCONFIG_CONTIG, extra_count = 0, orientation = ORIENTATION_TOPLEFT;
  std::uint16_t* extra = nullptr;
  if (api.get_field(tif, TIFFTAG_IMAGEWIDTH, &width) != 1 || api.get_field(tif, TIFFTAG_IMAGELENGTH, &height) != 1 ||
      api.get_field(tif, TIFFTAG_PHOTOMETRIC, &photometric) != 1)
    throw error(error_kind::bad_input, path, "cannot decode TIFF (no width, height or photometric interpretation)");
  api.get_field_defaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples_per_pixel);
  api.get_field_defaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  api.get_field_defaulted(tif, TIFFTAG_SAMPLEFORMAT, &sample_format);
  api.get_field_defaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
  api.get_field_defaulted(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra);
  api.get_field_defaulted(tif, TIFFTAG_ORIENTATION, &orientation);
  check_pixel_limit(path, width, height, max_pixels);
  // One sample more than the colours, of unspecified meaning (OpenCV writes
  // RGBA without an ExtraSamples tag, which libtiff then fills in so): that
  // sample is straight alpha, as OpenCV read it and Pillow reads an untagged one.
  std::uint16_t implied_alpha[1] = {EXTRASAMPLE_UNASSALPHA};
  const bool one_unspecified = extra_count == 1 && extra != nullptr && extra[0] == EXTRASAMPLE_UNSPECIFIED;
  if (one_unspecified && ((photometric == PHOTOMETRIC_RGB && samples_per_pixel == 4) ||
                          (photometric == PHOTOMETRIC_MINISBLACK && samples_per_pixel == 2))) {
    extra_count = 1;
    extra = implied_alpha;
  }
  const bool alpha = extra_count >= 1 && extra != nullptr &&
                     (extra[0] == EXTRASAMPLE_ASSOCALPHA || extra[0] == EXTRASAMPLE_UNASSALPHA);

  // Read as stored, here: RGB and grey (either way up) at 8 and 16 bits (16 bits rounded,
  // where libtiff's RGBA interface truncates grey), with or without alpha, and
  // an 8-bit palette with alpha (that interface premultiplies straight alpha
  // and drops a palette's). Every other kind without alpha goes through it.
  const bool palette = photometric == PHOTOMETRIC_PALETTE;
  const std::uint32_t colours = photometric == PHOTOMETRIC_RGB ? 3
                                : photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE ||
                                          (palette && alpha)
                                      ? 1
                                      : 0;
  const bool as_stored = colours != 0 && samples_per_pixel == colours + extra_count && samples_per_pixel <= 8 &&
                         (bits == 8 || bits == 16) && (!palette || bits == 8) && sample_format == SAMPLEFORMAT_UINT &&
                         (planar == PLANARCONFIG_CONTIG || planar == PLANARCONFIG_SEPARATE) && width != 0 && height != 0;
  if (!as_stored && !alpha) {
    read_rgba_image(api, tif, file, path, orientation, image);
    return result;
  }
  if (!as_stored)
    throw error(error_kind::bad_input, path,
                "unsupported TIFF: alpha with photometric interpretation " + std::to_string(photometric) + ", " +
                    std::to_string(samples_per_pixel) + " samples of " + std::to_string(bits) +
                    " bits (kmq reads alpha beside RGB, grey or an 8-bit palette, at 8 or 16 bits)");
  const palette_map colour_map = palette ? read_palette(api, tif, bits) : palette_map{};
  if (palette && colour_map.red.empty())
    throw error(error_kind::bad_input, path, "cannot decode TIFF (a palette image without its colour map)");

  const layout l{width, height, colours, samples_per_pixel, planar == PLANARCONFIG_CONTIG, alpha,
                 photometric == PHOTOMETRIC_MINISWHITE,
                 alpha && extra[0] == EXTRASAMPLE_ASSOCALPHA, bits == 8 ? 255u : 65535u, palette ? &colour_map : nullptr};
  const bool tiled = api.is_tiled(tif) != 0;
  std::uint32_t block_w = width, block_h = 0;
  if (tiled) {
    if (api.get_field(tif, TIFFTAG_TILEWIDTH, &block_w) != 1 || api.get_field(tif, TIFFTAG_TILELENGTH, &block_h) != 1)
      block_w = block_h = 0;
  } else {
    api.get_field_defaulted(tif, TIFFTAG_ROWSPERSTRIP, &block_h);
    block_h = std::min(block_h, height);
  }
  const std::uint64_t bytes_per_sample = bits / 8;
  const std::uint64_t plane_samples = l.contiguous ? samples_per_pixel : 1;
  const std::uint64_t block_bytes = std::uint64_t{block_w} * block_h * plane_samples * bytes_per_sample;
  // A tile may overhang the image, but not by more than the image itself needs
  // (at most 8 bytes a pixel within --max-pixels) or 64 MiB: the buffers are ours.
  const std::uint64_t image_bytes = std::uint64_t{width} * height * samples_per_pixel * bytes_per_sample;
  if (block_w == 0 || block_h == 0 || block_bytes > std::max<std::uint64_t>(image_bytes, std::uint64_t{64} << 20))
    throw error(error_kind::bad_input, path,
                "cannot decode TIFF (" + std::string(tiled ? "tile" : "strip") + " size " + std::to_string(block_w) +
                    "x" + std::to_string(block_h) + " does not fit the image)");

  image.width = width;
  image.height = height;
  image.pixels.assign(std::size_t{width} * height, 0);
  std::vector<std::vector<std::uint8_t>> planes(l.contiguous ? 1 : samples_per_pixel,
                                                std::vector<std::uint8_t>(static_cast<std::size_t>(block_bytes)));
  for (std::uint32_t row = 0; row < height; row += block_h) {
    const std::uint32_t rows = std::min(block_h, height - row);
    for (std::uint32_t column = 0; column < width; column += block_w) {
      const std::uint32_t columns = std::min(block_w, width - column);
      for (std::size_t plane = 0; plane < planes.size(); ++plane) {
        std::vector<std::uint8_t>& buffer = planes[plane];
        const auto sample = static_cast<std::uint16_t>(plane);
        // A strip at the bottom holds only the rows left; a tile is always whole.
        const tmsize_t want = static_cast<tmsize_t>(tiled ? block_bytes : std::uint64_t{rows} * block_w * plane_samples * bytes_per_sample);
        const tmsize_t got =
            tiled ? api.read_encoded_tile(tif, api.compute_tile(tif, column, row, 0, sample), buffer.data(), want)
                  : api.read_encoded_strip(tif, api.compute_strip(tif, row, sample), buffer.data(), want);
        if (got != want) corrupt(path, file);
      }
      packed_rgba* out = image.pixels.data() + std::size_t{row} * width + column;
      if (bits == 8)
        convert(block<std::uint8_t>{&planes, l.contiguous, samples_per_pixel, block_w}, l, rows, columns, out, width);
      else
        convert(block<std::uint16_t>{&planes, l.contiguous, samples_per_pixel, block_w}, l, rows, columns, out, width);
    }
  }
  apply_orientation(image, orientation);  // TIFF's Orientation values are EXIF's
  image.has_alpha = alpha;
  return result;
}

}  // namespace kmq::io::detail
