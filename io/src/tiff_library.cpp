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

#ifdef KMQ_TIFF_LINKED
// A static libtiff (io/CMakeLists.txt): linked, nothing to load.
loaded load() {
  loaded out;
  tiff_library& a = out.api;
  a.close = TIFFClose;
  a.get_field = TIFFGetField;
  a.get_field_defaulted = TIFFGetFieldDefaulted;
  a.number_of_directories = TIFFNumberOfDirectories;
  a.is_tiled = TIFFIsTiled;
  a.compute_tile = TIFFComputeTile;
  a.compute_strip = TIFFComputeStrip;
  a.read_encoded_tile = TIFFReadEncodedTile;
  a.read_encoded_strip = TIFFReadEncodedStrip;
  a.rgba_image_ok = TIFFRGBAImageOK;
  a.rgba_image_begin = TIFFRGBAImageBegin;
  a.rgba_image_get = TIFFRGBAImageGet;
  a.rgba_image_end = TIFFRGBAImageEnd;
#if TIFFLIB_VERSION >= 20221213
  a.open_options_alloc = TIFFOpenOptionsAlloc;
  a.open_options_free = TIFFOpenOptionsFree;
  a.open_options_set_error_handler = TIFFOpenOptionsSetErrorHandlerExtR;
  a.open_options_set_warning_handler = TIFFOpenOptionsSetWarningHandlerExtR;
  a.client_open = TIFFClientOpenExt;
#else
  a.client_open = TIFFClientOpen;
#endif
  return out;
}
#else
template <typename F>
void find(void* handle, const char* library, const char* name, F& into, std::string& problem) {
  into = reinterpret_cast<F>(dlsym(handle, name));
  if (into == nullptr && problem.empty()) problem = std::string(library) + " has no " + name;
}

loaded load() {
  loaded out;
  void* handle = nullptr;
  const char* library = nullptr;
  // The soname (where the system keeps it, LD_LIBRARY_PATH included), then
  // the file kmq was built against, then the development link.
  std::string tried;
  for (const char* name : {KMQ_TIFF_SONAME, KMQ_TIFF_PATH, "libtiff.so"}) {
    handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) {
      library = name;
      break;
    }
    const char* why = dlerror();
    tried += (tried.empty() ? "" : "; ") + std::string(why != nullptr ? why : name);
  }
  if (handle == nullptr) {
    out.problem = tried;
    return out;
  }
  // Never closed: the process keeps it, as it kept a linked one.
  tiff_library& a = out.api;
  std::string& p = out.problem;
  find(handle, library, "TIFFClose", a.close, p);
  find(handle, library, "TIFFGetField", a.get_field, p);
  find(handle, library, "TIFFGetFieldDefaulted", a.get_field_defaulted, p);
  find(handle, library, "TIFFNumberOfDirectories", a.number_of_directories, p);
  find(handle, library, "TIFFIsTiled", a.is_tiled, p);
  find(handle, library, "TIFFComputeTile", a.compute_tile, p);
  find(handle, library, "TIFFComputeStrip", a.compute_strip, p);
  find(handle, library, "TIFFReadEncodedTile", a.read_encoded_tile, p);
  find(handle, library, "TIFFReadEncodedStrip", a.read_encoded_strip, p);
  find(handle, library, "TIFFRGBAImageOK", a.rgba_image_ok, p);
  find(handle, library, "TIFFRGBAImageBegin", a.rgba_image_begin, p);
  find(handle, library, "TIFFRGBAImageGet", a.rgba_image_get, p);
  find(handle, library, "TIFFRGBAImageEnd", a.rgba_image_end, p);
#if TIFFLIB_VERSION >= 20221213
  find(handle, library, "TIFFOpenOptionsAlloc", a.open_options_alloc, p);
  find(handle, library, "TIFFOpenOptionsFree", a.open_options_free, p);
  find(handle, library, "TIFFOpenOptionsSetErrorHandlerExtR", a.open_options_set_error_handler, p);
  find(handle, library, "TIFFOpenOptionsSetWarningHandlerExtR", a.open_options_set_warning_handler, p);
  find(handle, library, "TIFFClientOpenExt", a.client_open, p);
#else
  find(handle, library, "TIFFClientOpen", a.client_open, p);
#endif
  return out;
}
#endif

}  // namespace

const tiff_library& tiff_api(const std::string& path) {
  static const loaded library = load();
  if (!library.problem.empty()) {
    throw error(error_kind::bad_input, path, "cannot read TIFF: libtiff could not be loaded (" + library.problem + ")");
  }
  return library.api;
}

}  // namespace kmq::io::detail
