#include "tiff_library.hpp"

#include <dlfcn.h>

#include <initializer_list>

#include "kmq/error.hpp"

namespace kmq::io::detail {
namespace {

struct loaded {
  tiff_library api{};
  std::string problem;  // empty when every entry point was found
};

template <typename F>
bool find(void* handle, const char* name, F& into, std::string& problem) {
  into = reinterpret_cast<F>(dlsym(handle, name));
  if (into == nullptr && problem.empty()) problem = std::string(KMQ_TIFF_SONAME) + " has no " + name;
  return into != nullptr;
}

loaded load() {
  loaded out;
  void* handle = nullptr;
  // The soname kmq was built against (CMake read it from the library), then
  // the development link, for a build that moved between releases.
  for (const char* name : {KMQ_TIFF_SONAME, "libtiff.so"}) {
    handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) break;
  }
  if (handle == nullptr) {
    const char* why = dlerror();
    out.problem = why != nullptr ? why : "dlopen failed";
    return out;
  }
  // Never closed: the process keeps it, as it kept a linked one.
  tiff_library& a = out.api;
  std::string& p = out.problem;
  find(handle, "TIFFClose", a.close, p);
  find(handle, "TIFFGetField", a.get_field, p);
  find(handle, "TIFFGetFieldDefaulted", a.get_field_defaulted, p);
  find(handle, "TIFFNumberOfDirectories", a.number_of_directories, p);
  find(handle, "TIFFIsTiled", a.is_tiled, p);
  find(handle, "TIFFComputeTile", a.compute_tile, p);
  find(handle, "TIFFComputeStrip", a.compute_strip, p);
  find(handle, "TIFFReadEncodedTile", a.read_encoded_tile, p);
  find(handle, "TIFFReadEncodedStrip", a.read_encoded_strip, p);
  find(handle, "TIFFRGBAImageOK", a.rgba_image_ok, p);
  find(handle, "TIFFRGBAImageBegin", a.rgba_image_begin, p);
  find(handle, "TIFFRGBAImageGet", a.rgba_image_get, p);
  find(handle, "TIFFRGBAImageEnd", a.rgba_image_end, p);
#if TIFFLIB_VERSION >= 20221213
  find(handle, "TIFFOpenOptionsAlloc", a.open_options_alloc, p);
  find(handle, "TIFFOpenOptionsFree", a.open_options_free, p);
  find(handle, "TIFFOpenOptionsSetErrorHandlerExtR", a.open_options_set_error_handler, p);
  find(handle, "TIFFOpenOptionsSetWarningHandlerExtR", a.open_options_set_warning_handler, p);
  find(handle, "TIFFClientOpenExt", a.client_open, p);
#else
  find(handle, "TIFFClientOpen", a.client_open, p);
#endif
  return out;
}

}  // namespace

const tiff_library& tiff_api(const std::string& path) {
  static const loaded library = load();
  if (!library.problem.empty()) {
    throw error(error_kind::bad_input, path, "cannot read TIFF: libtiff could not be loaded (" + library.problem + ")");
  }
  return library.api;
}

}  // namespace kmq::io::detail
