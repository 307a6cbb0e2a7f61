// Error-diffusion dithering of an image onto a fixed palette: the label map
// remap() makes for dither_method::floyd_steinberg.
#pragma once
#include <cstdint>

#include "kmq/image_view.hpp"
#include "kmq/pixels.hpp"

namespace kmq::detail {

// Floyd–Steinberg with a serpentine scan, attenuated, in exact integer
// arithmetic (see dither.cpp for the rounding, the damping and the alpha
// rule). labels receives image.pixel_count() indices into palette,
// row-major; ties between equally near entries go to the lowest index of
// palette, as in the backends. The result is a function of the pixels, the
// palette and palette_mse alone: one thread, no floating point but the one
// threshold taken from palette_mse. premultiplied: the nearest entry is
// searched among the premultiplied colours (quantize_result::premultiplied),
// as the backends map. palette_mse: the undithered mapping's error per pixel
// and channel (quantize_result::mse), which decides where an offset is
// damped (0: everywhere).
void floyd_steinberg(const image_view& image, const packed_rgba* palette, int count, bool premultiplied,
                     double palette_mse, std::uint8_t* labels);

}  // namespace kmq::detail
