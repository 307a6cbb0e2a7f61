// Remapping without dithering: every pixel takes its colour's nearest palette
// entry, which quantize() already found for every distinct colour, so the
// label map is a gather through the pixel map, done by the backend that holds
// the labels (and, on a GPU, the map itself).
#include "kmq/remap.hpp"

#include "kmq/error.hpp"
#include "pixel_map_access.hpp"

namespace kmq {

label_map remap(const image_view& image, const quantize_result& palette, const remap_options& options,
                backend& engine) {
  if (image.width != palette.width || image.height != palette.height) {
    throw error(error_kind::invalid_argument,
                "remap: the image is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                    ", the palette was built from one of " + std::to_string(palette.width) + "x" +
                    std::to_string(palette.height));
  }
  if (!pixel_map_access::current_on(palette.map, engine)) {
    throw error(error_kind::internal, "remap: the backend no longer holds this image's colours");
  }
  (void)options;  // dither_method::none is the only method so far
  label_map out;
  out.width = image.width;
  out.height = image.height;
  const std::size_t count = image.pixel_count();
  out.indices.resize(count);
  if (pixel_map_access::keeper(palette.map) != nullptr) {
    engine.label_kept_pixels(count, out.indices.data());
  } else {
    engine.label_pixels(pixel_map_access::to_point(palette.map).data(), count, out.indices.data());
  }
  for (std::uint8_t& index : out.indices) index = palette.output_index[index];
  return out;
}

}  // namespace kmq
