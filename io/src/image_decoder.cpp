// image_decoder: read the file ourselves (within --max-file-size), size it
// from its header before any decoder runs, check JPEG structure, then let
// OpenCV decode and convert the result to 8-bit RGBA; TIFFs with alpha go to
// libtiff directly (tiff_decoder.cpp). The embedded ICC profile is carried
// along (icc_profile.cpp).
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
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>

#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/io/image_header.hpp"
#include "kmq/io/jpeg_check.hpp"
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

// The largest --max-pixels there is; no decoder call ever needs more.
constexpr std::uint64_t most_pixels = 0xffffffffull;

// OpenCV reads OPENCV_IO_MAX_IMAGE_PIXELS once, at its first decode, for the
// whole process, so it cannot carry a per-decoder limit: it is set once to the
// largest limit any decoder may have (a value the user set in the environment
// is left alone). Each decoder's own limit is enforced per call, from the
// header before OpenCV runs and on what it decoded after.
void prepare_opencv() {
  static std::once_flag once;
  std::call_once(once, [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(most_pixels).c_str(), /*overwrite=*/0);
  });
}

// libpng's default handlers (OpenCV installs none) and imdecode's own catch
// blocks write straight to stderr, past OpenCV's logger: "libpng warning:
// iCCP: known incorrect sRGB profile" on ordinary files, and on a bad one a
// line our own message says better. So the decoder's stderr goes to a memory
// file, and what it said can feed the reason. fd 2 belongs to the whole
// process, hence one OpenCV decode at a time (the common formats' own
// decoders, planned by the speed issue, will need no capture).
class stderr_capture {
 public:
  stderr_capture() {
    // With fd 2 closed, the memory file could itself become fd 2: leave it be.
    if (::fcntl(STDERR_FILENO, F_GETFD) < 0) return;
    std::fflush(stderr);
    memory_ = ::memfd_create("kmq-decoder-stderr", MFD_CLOEXEC);
    if (memory_ < 0) return;
    saved_ = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
    if (saved_ < 0 || ::dup2(memory_, STDERR_FILENO) < 0) restore();
  }
  ~stderr_capture() {
    restore();
    if (memory_ >= 0) ::close(memory_);
  }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;

  // Puts stderr back and returns (the start of) what was written meanwhile.
  std::string finish() {
    restore();
    if (memory_ < 0) return {};
    char text[4096];
    const ssize_t got = ::pread(memory_, text, sizeof text, 0);
    return got > 0 ? std::string(text, static_cast<std::size_t>(got)) : std::string();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }

  int memory_ = -1;
  int saved_ = -1;
};

// The most telling line of what the decoder printed: libpng's error, else the
// message of an OpenCV exception that imdecode caught and printed itself.
std::string decoder_complaint(const std::string& printed) {
  const auto libpng = printed.find("libpng error: ");
  if (libpng != std::string::npos) {
    const auto begin = libpng + 14;
    return "libpng: " + printed.substr(begin, printed.find('\n', begin) - begin);
  }
  const auto error = printed.find(" error: (");
  if (error == std::string::npos) return {};
  const auto code_end = printed.find(") ", error);
  if (code_end == std::string::npos) return {};
  const auto begin = code_end + 2;
  const auto end = std::min(printed.find(" in function", begin), printed.find('\n', begin));
  return printed.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// imdecode with stderr captured. An empty Mat comes with the decoder's own
// complaint when it made one.
cv::Mat run_decoder(const std::vector<std::uint8_t>& bytes, int flags, std::string& complaint) {
  static std::mutex one_at_a_time;
  const std::lock_guard<std::mutex> lock(one_at_a_time);
  stderr_capture capture;
  cv::Mat mat;
  try {
    // imdecode only reads the buffer; the Mat header just cannot say const.
    const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<std::uint8_t*>(bytes.data()));
    mat = cv::imdecode(encoded, flags);
  } catch (const cv::Exception& e) {
    complaint = "OpenCV: " + e.err;
    return {};
  }
  if (!mat.empty() && mat.dims == 2) return mat;
  complaint = decoder_complaint(capture.finish());
  return {};
}

std::uint32_t to_8bit(std::uint8_t v) { return v; }
// Nearest 8-bit value: 65535 maps to 255 and the steps are evenly rounded.
std::uint32_t to_8bit(std::uint16_t v) { return (std::uint32_t{v} * 255u + 32767u) / 65535u; }

template <typename T, int Channels>
void convert_rows(const cv::Mat& mat, packed_rgba* out) {
  for (int y = 0; y < mat.rows; ++y) {
    const T* p = mat.ptr<T>(y);
    for (int x = 0; x < mat.cols; ++x, p += Channels) {
      if constexpr (Channels == 1) {
        const std::uint32_t g = to_8bit(p[0]);
        *out++ = pack_rgba(g, g, g, 255);
      } else if constexpr (Channels == 2) {  // gray + alpha
        const std::uint32_t g = to_8bit(p[0]);
        *out++ = pack_rgba(g, g, g, to_8bit(p[1]));
      } else if constexpr (Channels == 3) {  // OpenCV order: B, G, R
        *out++ = pack_rgba(to_8bit(p[2]), to_8bit(p[1]), to_8bit(p[0]), 255);
      } else {  // B, G, R, A
        *out++ = pack_rgba(to_8bit(p[2]), to_8bit(p[1]), to_8bit(p[0]), to_8bit(p[3]));
      }
    }
  }
}

template <typename T>
bool convert_depth(const cv::Mat& mat, packed_rgba* out) {
  switch (mat.channels()) {
    case 1: convert_rows<T, 1>(mat, out); return true;
    case 2: convert_rows<T, 2>(mat, out); return true;
    case 3: convert_rows<T, 3>(mat, out); return true;
    case 4: convert_rows<T, 4>(mat, out); return true;
    default: return false;
  }
}

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

  // IMREAD_COLOR for JPEG: it applies the EXIF orientation and turns CMYK and
  // grayscale into BGR. Elsewhere IMREAD_UNCHANGED keeps alpha and 16 bits.
  const bool jpeg = header.format == image_format::jpeg;
  if (jpeg) {
    const std::string problem = jpeg_structure_problem(bytes.data(), bytes.size());
    if (!problem.empty()) throw error(error_kind::bad_input, path, problem);
  }

  // cv::Mat sizes are int.
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw error(error_kind::bad_input, path, "file too large for the decoder (over 2 GiB)");

  decoded_image image;
  image.file_bytes = bytes.size();
  std::vector<std::uint8_t> icc_profile;
  switch (header.format) {
    case image_format::jpeg: icc_profile = detail::jpeg_icc_profile(bytes.data(), bytes.size()); break;
    case image_format::png: icc_profile = detail::png_icc_profile(bytes.data(), bytes.size()); break;
    case image_format::webp: icc_profile = detail::webp_icc_profile(bytes.data(), bytes.size()); break;
    case image_format::tiff: {
      detail::tiff_reading tiff = detail::read_tiff(bytes, path, max_pixels, image);
      icc_profile = std::move(tiff.icc_profile);
      if (tiff.decoded) {
        image.icc_profile = std::move(icc_profile);
        return image;
      }
      break;
    }
    default: break;  // BMP: its (rare) V5 profiles are not read
  }

  prepare_opencv();
  std::string complaint;
  const cv::Mat mat = run_decoder(bytes, jpeg ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED, complaint);
  if (mat.empty())
    throw error(error_kind::bad_input, path,
                  std::string("cannot decode ") + format + " (" +
                      (complaint.empty() ? std::string("corrupt or truncated data") : complaint) + ")");

  image.width = static_cast<std::uint32_t>(mat.cols);
  image.height = static_cast<std::uint32_t>(mat.rows);
  // The header said otherwise only if our reading of it differs from the
  // decoder's; the limit still holds for what was actually decoded.
  if (std::uint64_t{image.width} * image.height > max_pixels)
    throw error(error_kind::bad_input, path,
                  "image is " + pixels_text(image.width, image.height) + ", more than --max-pixels " +
                      std::to_string(max_pixels));
  image.pixels.resize(std::size_t{image.width} * image.height);
  bool converted = false;
  if (mat.depth() == CV_8U) converted = convert_depth<std::uint8_t>(mat, image.pixels.data());
  if (mat.depth() == CV_16U) converted = convert_depth<std::uint16_t>(mat, image.pixels.data());
  if (!converted)
    throw error(error_kind::bad_input, path,
                  std::string("unsupported ") + format + " sample format (" + cv::typeToString(mat.type()) + ")");
  image.has_alpha = mat.channels() == 2 || mat.channels() == 4;
  image.icc_profile = std::move(icc_profile);
  return image;
}

}  // namespace kmq::io
