// libpng writing into memory, shared by the palette and the true-colour
// encoders: the callbacks, and the owner of libpng's structures so that every
// way out frees them.
#pragma once
#include <png.h>

#include <cstdint>
#include <vector>

namespace kmq::io::detail {

struct write_context {
  std::vector<std::uint8_t>* out;
  char error[256];  // libpng's message, copied before it longjmps away
};

// Owns libpng's write structures, writing into context->out.
class png_writer {
 public:
  explicit png_writer(write_context* context);
  ~png_writer();
  png_writer(const png_writer&) = delete;
  png_writer& operator=(const png_writer&) = delete;
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

}  // namespace kmq::io::detail
