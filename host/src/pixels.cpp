#include "kmq/pixels.hpp"

namespace kmq {

void collapse_transparent(packed_rgba* pixels, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (alpha_of(pixels[i]) == 0) pixels[i] = 0;
  }
}

}  // namespace kmq
