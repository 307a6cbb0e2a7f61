// Remapping: every pixel of an image to an entry of a palette that quantize()
// built from it. The result is the label map a PNG stores.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/backend.hpp"
#include "kmq/image_view.hpp"
#include "kmq/quantize.hpp"
#include "kmq/quantize_params.hpp"

namespace kmq {

struct label_map {
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint8_t> indices;  // row-major, width * height, each < palette size
};

// image: the one quantize() saw (same size; collapse_transparent() applied).
// engine: the backend quantize() ran on, not used for another image since;
// otherwise error(internal).
// options.dither: none gives every pixel its colour's nearest entry (the
// backend's labels, gathered); floyd_steinberg diffuses each pixel's error
// (serpentine, attenuated, exact integer arithmetic, alpha rule in
// host/src/dither.cpp) and is computed on the host from image, palette and
// palette.mse (the same bits on every backend), so its label map is the same
// with any thread count and on every backend. Nearest always means
// the least integer squared distance over RGBA, ties to the lowest index of
// the palette before output ordering, as the backends decide it.
label_map remap(const image_view& image, const quantize_result& palette, const remap_options& options,
                backend& engine);

}  // namespace kmq
