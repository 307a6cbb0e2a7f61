// read_tiff(): libtiff over the bytes in memory, samples read as stored
// (TIFFReadEncodedStrip/Tile), so alpha is never premultiplied on the way.
#include "tiff_decoder.hpp"

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

#include "format_decoders.hpp"
#include "icc_profile.hpp"
#include "kmq/error.hpp"

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
  void operator()(TIFF* tif) const { TIFFClose(tif); }
};
using tiff_ptr = std::unique_ptr<TIFF, tiff_closer>;

tiff_ptr open_tiff(memory_file& file) {
#if TIFFLIB_VERSION >= 20221213
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  if (options == nullptr) throw std::bad_alloc();
  TIFFOpenOptionsSetErrorHandlerExtR(options, on_error, &file);
  TIFFOpenOptionsSetWarningHandlerExtR(options, on_warning, &file);
  TIFF* tif = TIFFClientOpenExt("kmq", "r", &file, read_proc, write_proc, seek_proc, close_proc, size_proc, map_proc,
                                unmap_proc, options);
  TIFFOpenOptionsFree(options);
#else
  TIFF* tif = TIFFClientOpen("kmq", "r", &file, read_proc, write_proc, seek_proc, close_proc, size_proc, map_proc,
                             unmap_proc);
#endif
  return tiff_ptr(tif);
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

struct layout {
  std::uint32_t width, height;
  std::uint32_t colours;  // 3 (RGB) or 1 (grey); alpha is the sample right after them
  std::uint32_t samples_per_pixel;
  bool contiguous;
  bool associated;  // premultiplied alpha
  std::uint32_t max;  // 255 or 65535
};

template <typename T>
void convert(const block<T>& samples, const layout& l, std::uint32_t rows, std::uint32_t columns,
             packed_rgba* out, std::size_t out_stride) {
  for (std::uint32_t y = 0; y < rows; ++y) {
    packed_rgba* row = out + y * out_stride;
    for (std::uint32_t x = 0; x < columns; ++x) {
      const std::uint32_t a = samples(l.colours, x, y);
      std::uint32_t c[3];
      for (std::uint32_t i = 0; i < 3; ++i) {
        const std::uint32_t v = samples(l.colours == 3 ? i : 0, x, y);
        c[i] = l.associated ? unpremultiply(v, a) : to_8bit(v, l.max);
      }
      row[x] = pack_rgba(c[0], c[1], c[2], to_8bit(a, l.max));
    }
  }
}

std::string pixels_text(std::uint64_t width, std::uint64_t height) {
  return std::to_string(width) + "x" + std::to_string(height) + " = " + std::to_string(width * height) + " pixels";
}

}  // namespace

tiff_reading read_tiff(const std::vector<std::uint8_t>& bytes, const std::string& path, std::uint64_t max_pixels,
                       decoded_image& image) {
  tiff_reading result;
  memory_file file{bytes.data(), bytes.size(), 0, {}};
  const tiff_ptr owner = open_tiff(file);
  TIFF* tif = owner.get();
  if (tif == nullptr) return result;  // OpenCV tries, and says why not
  result.pages = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(TIFFNumberOfDirectories(tif)));

  std::uint32_t icc_size = 0;
  void* icc = nullptr;
  if (TIFFGetField(tif, TIFFTAG_ICCPROFILE, &icc_size, &icc) == 1 && icc != nullptr &&
      plausible_icc_profile(static_cast<const std::uint8_t*>(icc), icc_size)) {
    const auto* p = static_cast<const std::uint8_t*>(icc);
    result.icc_profile.assign(p, p + icc_size);
  }

  // Only the kinds whose alpha OpenCV loses or premultiplies; the rest stays
  // as OpenCV has always decoded it.
  std::uint32_t width = 0, height = 0;
  std::uint16_t photometric = 0, samples_per_pixel = 1, bits = 1, sample_format = SAMPLEFORMAT_UINT,
                planar = PLANARCONFIG_CONTIG, extra_count = 0, orientation = ORIENTATION_TOPLEFT;
  std::uint16_t* extra = nullptr;
  if (TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width) != 1 || TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height) != 1 ||
      TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric) != 1)
    return result;
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples_per_pixel);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &sample_format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra);
  TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &orientation);
  const std::uint32_t colours = photometric == PHOTOMETRIC_RGB ? 3 : photometric == PHOTOMETRIC_MINISBLACK ? 1 : 0;
  const bool alpha = extra_count >= 1 && extra != nullptr &&
                     (extra[0] == EXTRASAMPLE_ASSOCALPHA || extra[0] == EXTRASAMPLE_UNASSALPHA);
  if (colours == 0 || !alpha || samples_per_pixel != colours + extra_count || samples_per_pixel > 8 ||
      (bits != 8 && bits != 16) || sample_format != SAMPLEFORMAT_UINT ||
      (planar != PLANARCONFIG_CONTIG && planar != PLANARCONFIG_SEPARATE) || width == 0 || height == 0)
    return result;

  if (std::uint64_t{width} * height > max_pixels)
    throw error(error_kind::bad_input, path,
                "image is " + pixels_text(width, height) + ", more than --max-pixels " + std::to_string(max_pixels));

  const layout l{width, height, colours, samples_per_pixel, planar == PLANARCONFIG_CONTIG,
                 extra[0] == EXTRASAMPLE_ASSOCALPHA, bits == 8 ? 255u : 65535u};
  const bool tiled = TIFFIsTiled(tif) != 0;
  std::uint32_t block_w = width, block_h = 0;
  if (tiled) {
    if (TIFFGetField(tif, TIFFTAG_TILEWIDTH, &block_w) != 1 || TIFFGetField(tif, TIFFTAG_TILELENGTH, &block_h) != 1)
      block_w = block_h = 0;
  } else {
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &block_h);
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
            tiled ? TIFFReadEncodedTile(tif, TIFFComputeTile(tif, column, row, 0, sample), buffer.data(), want)
                  : TIFFReadEncodedStrip(tif, TIFFComputeStrip(tif, row, sample), buffer.data(), want);
        if (got != want)
          throw error(error_kind::bad_input, path,
                      "cannot decode TIFF (" +
                          (file.problem.empty() ? std::string("corrupt or truncated data") : "libtiff: " + file.problem) +
                          ")");
      }
      packed_rgba* out = image.pixels.data() + std::size_t{row} * width + column;
      if (bits == 8)
        convert(block<std::uint8_t>{&planes, l.contiguous, samples_per_pixel, block_w}, l, rows, columns, out, width);
      else
        convert(block<std::uint16_t>{&planes, l.contiguous, samples_per_pixel, block_w}, l, rows, columns, out, width);
    }
  }
  apply_orientation(image, orientation);  // TIFF's Orientation values are EXIF's
  image.has_alpha = true;
  result.decoded = true;
  return result;
}

}  // namespace kmq::io::detail
