// Finds and dlopen()s the kmq_opencv_decoder module on first use: next to the
// running executable (/proc/self/exe), else where the build put it. Built with
// KMQ_WITH_OPENCV=OFF there is no module, and the formats it decodes are
// refused with a reason that says so.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <mutex>
#include <new>
#include <string>

#include "format_decoders.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/error.hpp"
#include "opencv_module.hpp"

namespace kmq::io::detail {
namespace {

#ifdef KMQ_WITH_OPENCV_MODULE
struct loaded_module {
  kmq_opencv_decode_fn decode = nullptr;
  std::string problem;  // why decode is null
};

std::string executable_dir() {
  char buffer[PATH_MAX];
  const ssize_t got = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (got <= 0) return {};
  const std::string exe(buffer, static_cast<std::size_t>(got));
  const auto slash = exe.rfind('/');
  return slash == std::string::npos ? std::string() : exe.substr(0, slash);
}

const loaded_module& opencv_module() {
  static loaded_module module;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string candidates[2];
    const std::string dir = executable_dir();
    if (!dir.empty()) candidates[0] = dir + "/" KMQ_OPENCV_MODULE_FILE;
#ifdef KMQ_OPENCV_MODULE_BUILD_PATH
    candidates[1] = KMQ_OPENCV_MODULE_BUILD_PATH;
#endif
    std::string load_error;
    for (const std::string& path : candidates) {
      if (path.empty() || ::access(path.c_str(), F_OK) != 0) continue;
      void* handle = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
      if (!handle) {
        const char* why = ::dlerror();
        if (load_error.empty()) load_error = why ? why : path;
        continue;
      }
      auto decode = reinterpret_cast<kmq_opencv_decode_fn>(::dlsym(handle, KMQ_OPENCV_DECODE_SYMBOL));
      if (!decode) {
        if (load_error.empty()) load_error = path + " has no " KMQ_OPENCV_DECODE_SYMBOL;
        continue;
      }
      module.decode = decode;  // kept loaded for the rest of the process
      return;
    }
    module.problem = load_error.empty() ? "module kmq_opencv_decoder not found"
                                        : "module kmq_opencv_decoder cannot be loaded: " + load_error;
  });
  return module;
}

struct allocation {
  decoded_image* image;
  std::uint64_t max_pixels;
  std::uint32_t width = 0, height = 0;
  bool too_many = false;
  bool out_of_memory = false;
};

packed_rgba* allocate(void* context, std::uint32_t width, std::uint32_t height) {
  auto* a = static_cast<allocation*>(context);
  a->width = width;
  a->height = height;
  if (std::uint64_t{width} * height > a->max_pixels) {
    a->too_many = true;
    return nullptr;
  }
  try {
    a->image->pixels.resize(std::size_t{width} * height);
  } catch (const std::bad_alloc&) {
    a->out_of_memory = true;
    return nullptr;
  }
  return a->image->pixels.data();
}
#endif

}  // namespace

void decode_with_opencv_module(const std::uint8_t* data, std::size_t size, const std::string& path,
                               std::uint64_t max_pixels, const char* format, decoded_image& image) {
#ifdef KMQ_WITH_OPENCV_MODULE
  const loaded_module& module = opencv_module();
  if (!module.decode)
    throw error(error_kind::decoder_unavailable, path,
                std::string("this kmq's decoder for ") + format + " is unavailable (" + module.problem + ")");
  allocation a{&image, max_pixels};
  const kmq_opencv_request request{data, size, allocate, &a};
  kmq_opencv_result result{};
  {
    const std::lock_guard<std::mutex> quiet(standard_error_lock());  // fd 2 is the module's meanwhile
    module.decode(&request, &result);
  }
  switch (result.status) {
    case kmq_opencv_ok:
      image.width = a.width;
      image.height = a.height;
      image.has_alpha = result.has_alpha != 0;
      return;
    case kmq_opencv_refused:
      if (a.out_of_memory) throw std::bad_alloc();
      check_pixel_limit(path, a.width, a.height, max_pixels);
      break;
    case kmq_opencv_unsupported:
      throw error(error_kind::bad_input, path,
                  std::string("unsupported ") + format + " sample format (" + result.message + ")");
    default: break;
  }
  throw error(error_kind::bad_input, path,
              std::string("cannot decode ") + format + " (" +
                  (result.message[0] ? std::string(result.message) : std::string("corrupt or truncated data")) + ")");
#else
  (void)data;
  (void)size;
  (void)max_pixels;
  (void)image;
  throw error(error_kind::bad_input, path,
              std::string("this kmq has no decoder for ") + format + " (built without OpenCV: KMQ_WITH_OPENCV=OFF)");
#endif
}

}  // namespace kmq::io::detail

namespace kmq::io {

std::mutex& standard_error_lock() {
  static std::mutex lock;
  return lock;
}

}  // namespace kmq::io
