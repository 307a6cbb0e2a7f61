// The kmq_opencv_decoder module: cv::imdecode(IMREAD_UNCHANGED) for the
// formats kmq_io does not decode itself (BMP, TIFFs tiff_decoder.cpp leaves
// alone), with stderr captured, converted to 8-bit RGBA. Loaded at run time
// by opencv_module_loader.cpp, so that the kmq binary starts without OpenCV's
// ~140 shared libraries.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "opencv_module.hpp"

namespace {

using kmq::pack_rgba;
using kmq::packed_rgba;

// The largest --max-pixels there is; no decoder call ever needs more.
constexpr std::uint64_t most_pixels = 0xffffffffull;

// OpenCV reads OPENCV_IO_MAX_IMAGE_PIXELS once, at its first decode, for the
// whole process: it is set once to the largest limit any decoder may have (a
// value the user set is left alone); each decoder's own limit is enforced by
// the caller's allocate.
void prepare_opencv() {
  static std::once_flag once;
  std::call_once(once, [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(most_pixels).c_str(), /*overwrite=*/0);
  });
}

// libpng's and libtiff's default handlers and imdecode's own catch blocks
// write straight to stderr, past OpenCV's logger. So the decoder's stderr goes
// to a memory file, and what it said can feed the reason. fd 2 belongs to the
// whole process, hence one OpenCV decode at a time.
class stderr_capture {
 public:
  stderr_capture() {
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

// The most telling line of what the decoder printed.
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

cv::Mat run_decoder(const std::uint8_t* bytes, std::size_t size, std::string& complaint) {
  static std::mutex one_at_a_time;
  const std::lock_guard<std::mutex> lock(one_at_a_time);
  stderr_capture capture;
  cv::Mat mat;
  try {
    const cv::Mat encoded(1, static_cast<int>(size), CV_8UC1, const_cast<std::uint8_t*>(bytes));
    mat = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    complaint = "OpenCV: " + e.err;
    return {};
  }
  if (!mat.empty() && mat.dims == 2) return mat;
  complaint = decoder_complaint(capture.finish());
  return {};
}

std::uint32_t to_8bit(std::uint8_t v) { return v; }
std::uint32_t to_8bit(std::uint16_t v) { return (std::uint32_t{v} * 255u + 32767u) / 65535u; }

template <typename T, int Channels>
void convert_rows(const cv::Mat& mat, packed_rgba* out) {
  for (int y = 0; y < mat.rows; ++y) {
    const T* p = mat.ptr<T>(y);
    for (int x = 0; x < mat.cols; ++x, p += Channels) {
      if constexpr (Channels == 1) {
        const std::uint32_t g = to_8bit(p[0]);
        *out++ = pack_rgba(g, g, g, 255);
      } else if constexpr (Channels == 2) {
        const std::uint32_t g = to_8bit(p[0]);
        *out++ = pack_rgba(g, g, g, to_8bit(p[1]));
      } else if constexpr (Channels == 3) {
        *out++ = pack_rgba(to_8bit(p[2]), to_8bit(p[1]), to_8bit(p[0]), 255);
      } else {
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

void set_message(kmq_opencv_result* result, const std::string& text) {
  std::snprintf(result->message, sizeof result->message, "%s", text.c_str());
}

void decode(const kmq_opencv_request* request, kmq_opencv_result* result) {
  if (request->size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    result->status = kmq_opencv_cannot_decode;
    set_message(result, "file too large for the decoder (over 2 GiB)");
    return;
  }
  prepare_opencv();
  std::string complaint;
  const cv::Mat mat = run_decoder(request->bytes, request->size, complaint);
  if (mat.empty()) {
    result->status = kmq_opencv_cannot_decode;
    set_message(result, complaint);
    return;
  }
  const bool depth_ok = mat.depth() == CV_8U || mat.depth() == CV_16U;
  if (!depth_ok || mat.channels() < 1 || mat.channels() > 4) {
    result->status = kmq_opencv_unsupported;
    set_message(result, cv::typeToString(mat.type()));
    return;
  }
  packed_rgba* out = request->allocate(request->context, static_cast<std::uint32_t>(mat.cols),
                                       static_cast<std::uint32_t>(mat.rows));
  if (!out) {
    result->status = kmq_opencv_refused;
    return;
  }
  if (mat.depth() == CV_8U) convert_depth<std::uint8_t>(mat, out);
  else convert_depth<std::uint16_t>(mat, out);
  result->has_alpha = mat.channels() == 2 || mat.channels() == 4;
  result->status = kmq_opencv_ok;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) void kmq_opencv_decode_v1(const kmq_opencv_request* request,
                                                                            kmq_opencv_result* result) {
  result->status = kmq_opencv_cannot_decode;
  result->has_alpha = 0;
  result->message[0] = '\0';
  try {
    decode(request, result);
  } catch (const std::exception& e) {
    result->status = kmq_opencv_cannot_decode;
    set_message(result, e.what());
  } catch (...) {
    result->status = kmq_opencv_cannot_decode;
    set_message(result, "unknown failure");
  }
}
