// image_decoder: read the file ourselves (within --max-file-size), size it
// from its header before any decoder runs, check JPEG structure, then decode
// to 8-bit RGBA with the format's own library: libpng (png_decoder.cpp),
// libjpeg-turbo (jpeg_decoder.cpp), libwebp (webp_decoder.cpp), libtiff
// (tiff_decoder.cpp), BMPs by hand (bmp_decoder.cpp). The embedded ICC
// profile is carried along (icc_profile.cpp).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/io/image_header.hpp"
#include "kmq/io/jpeg_check.hpp"
#include "format_decoders.hpp"
#include "icc_profile.hpp"
#include "tiff_decoder.hpp"

namespace kmq::io {
namespace {

constexpr const char* accepted_formats = "PNG, JPEG, WebP, TIFF or BMP";

class file_descriptor {
 public:
  explicit file_descriptor(int fd) : fd_(fd) {}
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// No image within the pixel limit needs more bytes than this (16-bit RGBA
// stored uncompressed is 8 bytes a pixel; the rest is room for metadata). It
// keeps an endless stream that starts like an image from being read forever.
std::uint64_t file_size_limit(std::uint64_t max_pixels) {
  constexpr std::uint64_t slack = std::uint64_t{64} << 20;
  constexpr std::uint64_t most = std::numeric_limits<std::uint64_t>::max();
  return max_pixels > (most - slack) / 16 ? most : max_pixels * 16 + slack;
}

std::string file_size_text(std::uint64_t max_file_bytes) {
  return "file is larger than --max-file-size " + std::to_string(max_file_bytes) + " bytes";
}

// Reads at most max_file_bytes (and no more than any image within --max-pixels
// needs): a regular file is sized from fstat before any read, a pipe, FIFO or
// device is refused as soon as it passes the limit, not read to its end.
std::vector<std::uint8_t> read_file(const std::string& path, std::uint64_t max_file_bytes, std::uint64_t pixel_bytes) {
  const std::uint64_t size_limit = std::min(max_file_bytes, pixel_bytes);
  const file_descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw error(error_kind::input_unreadable, path, std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw error(error_kind::input_unreadable, path, std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw error(error_kind::input_unreadable, path, "is a directory");
  auto too_large = [&] {
    if (max_file_bytes <= pixel_bytes) return error(error_kind::bad_input, path, file_size_text(max_file_bytes));
    return error(
        error_kind::bad_input, path,
        "file is larger than any image within --max-pixels needs (over " + std::to_string(size_limit) + " bytes)");
  };
  std::vector<std::uint8_t> bytes;
  if (S_ISREG(info.st_mode)) {
    if (static_cast<std::uint64_t>(info.st_size) > size_limit) throw too_large();
    bytes.reserve(static_cast<std::size_t>(info.st_size));
  }
  std::uint8_t chunk[1 << 16];
  bool format_checked = false;
  for (;;) {
    const ssize_t got = ::read(fd.get(), chunk, sizeof chunk);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw error(error_kind::input_unreadable, path, std::strerror(errno));
    }
    if (bytes.size() + static_cast<std::uint64_t>(got) > size_limit) throw too_large();
    bytes.insert(bytes.end(), chunk, chunk + got);
    // Something that is no image at all (/dev/zero, a text pipe, a huge log
    // file) is refused on its first bytes rather than read to the end.
    if (!format_checked && bytes.size() >= 16) {
      format_checked = true;
      if (sniff_image_header(bytes.data(), bytes.size()).format == image_format::unknown) break;
    }
  }
  return bytes;
}

// The largest --max-pixels there is.
constexpr std::uint64_t most_pixels = 0xffffffffull;

std::string pixels_text(std::uint64_t width, std::uint64_t height) {
  return std::to_string(width) + "x" + std::to_string(height) + " = " + std::to_string(width * height) + " pixels";
}

}  // namespace

image_decoder::image_decoder(decode_limits limits) : limits_(limits) {
  if (limits_.max_pixels < 1 || limits_.max_pixels > most_pixels) {
    throw error(error_kind::invalid_argument, "--max-pixels must be between 1 and " + std::to_string(most_pixels));
  }
  if (limits_.max_file_bytes < 1) throw error(error_kind::invalid_argument, "--max-file-size must be at least 1");
}

decoded_image image_decoder::decode_file(const std::string& path) const {
  return decode_bytes(read_file(path, limits_.max_file_bytes, file_size_limit(limits_.max_pixels)), path);
}

decoded_image image_decoder::decode_bytes(const std::vector<std::uint8_t>& bytes, const std::string& path) const {
  const std::uint64_t max_pixels = limits_.max_pixels;
  if (bytes.empty()) throw error(error_kind::bad_input, path, "empty file");
  if (bytes.size() > limits_.max_file_bytes) throw error(error_kind::bad_input, path, file_size_text(limits_.max_file_bytes));

  const image_header header = sniff_image_header(bytes.data(), bytes.size());
  const char* format = format_name(header.format);
  if (header.format == image_format::unknown)
    throw error(error_kind::bad_input, path, std::string("not a recognised image (expected ") + accepted_formats + ")");
  // OpenCV 4.6 has no GIF reader; saying so beats "cannot decode".
  if (header.format == image_format::gif)
    throw error(error_kind::bad_input, path, std::string("GIF is not supported (expected ") + accepted_formats + ")");
  if (!header.has_dimensions) throw error(error_kind::bad_input, path, std::string("truncated or corrupt ") + format + " header");
  if (header.width == 0 || header.height == 0)
    throw error(error_kind::bad_input, path,
                  std::string(format) + " header gives an empty image (" + std::to_string(header.width) + "x" +
                      std::to_string(header.height) + ")");
  if (header.pixel_count() > max_pixels)
    throw error(error_kind::bad_input, path,
                  "image is " + pixels_text(header.width, header.height) + ", more than --max-pixels " +
                      std::to_string(max_pixels));

  const bool jpeg = header.format == image_format::jpeg;
  if (jpeg) {
    const std::string problem = jpeg_structure_problem(bytes.data(), bytes.size());
    if (!problem.empty()) throw error(error_kind::bad_input, path, problem);
  }

  decoded_image image;
  image.file_bytes = bytes.size();
  std::vector<std::uint8_t> icc_profile;
  switch (header.format) {
    case image_format::jpeg:
      icc_profile = detail::jpeg_icc_profile(bytes.data(), bytes.size());
      detail::decode_jpeg(bytes.data(), bytes.size(), path, max_pixels, image);
      break;
    case image_format::png:
      detail::decode_png(bytes.data(), bytes.size(), path, max_pixels, image);  // its profile too
      icc_profile = std::move(image.icc_profile);
      break;
    case image_format::webp:
      icc_profile = detail::webp_icc_profile(bytes.data(), bytes.size());
      detail::decode_webp(bytes.data(), bytes.size(), path, max_pixels, image);
      break;
    case image_format::tiff: {
      detail::tiff_reading tiff = detail::read_tiff(bytes, path, max_pixels, image);
      icc_profile = std::move(tiff.icc_profile);
      if (tiff.pages > 1) {
        image.more_images = tiff.pages - 1;
        image.more_images_are = "page";
      }
      break;
    }
    default:  // BMP: its (rare) V5 profiles are not read
      detail::decode_bmp(bytes.data(), bytes.size(), path, max_pixels, image);
      break;
  }
  image.icc_profile = std::move(icc_profile);
  return image;
}

namespace detail {

void check_pixel_limit(const std::string& path, std::uint64_t width, std::uint64_t height, std::uint64_t max_pixels) {
  if (width * height > max_pixels)
    throw error(error_kind::bad_input, path,
                "image is " + pixels_text(width, height) + ", more than --max-pixels " + std::to_string(max_pixels));
}

}  // namespace detail

}  // namespace kmq::io
