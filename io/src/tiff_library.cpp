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
#define KMQ_TIFF_LINK(member, function) out.api.member = function;
  KMQ_TIFF_ENTRY_POINTS(KMQ_TIFF_LINK)
#undef KMQ_TIFF_LINK
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
#define KMQ_TIFF_FIND(member, function) find(handle, library, #function, out.api.member, out.problem);
  KMQ_TIFF_ENTRY_POINTS(KMQ_TIFF_FIND)
#undef KMQ_TIFF_FIND
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
