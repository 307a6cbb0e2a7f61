// Remapping. Without dithering every pixel takes its colour's nearest palette
// entry, which quantize() already found for every distinct colour, so the
// label map is a gather through the pixel map, done by the backend that holds
// the labels (and, on a GPU, the map itself). With Floyd–Steinberg each pixel
// wants its colour plus the error its neighbours left, a colour that need not
// be in the image, so the host computes the label map from the pixels and the
// palette (dither.cpp), in one sequential pass that no backend changes.
#include "kmq/remap.hpp"

#include "dither.hpp"
#include "kmq/error.hpp"
#include "pixel_map_access.hpp"

namespace kmq {
namespace {

void gather_labels(const image_view& image, const quantize_result& palette, backend& engine, label_map& out) {
  const std::size_t count = image.pixel_count();
  if (pixel_map_access::keeper(palette.map) != nullptr) {
    engine.label_kept_pixels(count, out.indices.data());
  } else {
    engine.label_pixels(pixel_map_access::to_point(palette.map).data(), count, out.indices.data());
  }
  for (std::uint8_t& index : out.indices) index = palette.output_index[index];
}

// The palette in the backends' order (before output ordering), so that ties
// between equally near entries go where they go without dithering; the labels
// are then renumbered to output order like the backends'.
void dither_labels(const image_view& image, const quantize_result& palette, label_map& out) {
  const std::size_t size = palette.palette.size();
  if (size == 0 || size > static_cast<std::size_t>(max_colors) || palette.output_index.size() != size) {
    throw error(error_kind::internal, "remap: the palette and its output order do not match");
  }
  std::vector<packed_rgba> backend_order(size);
  std::vector<bool> seen(size, false);
  for (std::size_t j = 0; j < size; ++j) {
    const std::size_t to = palette.output_index[j];
    if (to >= size || seen[to]) throw error(error_kind::internal, "remap: the palette's output order is no permutation");
    seen[to] = true;
    backend_order[j] = palette.palette[to];
  }
  detail::floyd_steinberg(image, backend_order.data(), static_cast<int>(size), palette.premultiplied, palette.mse,
                          out.indices.data());
  for (std::uint8_t& index : out.indices) index = palette.output_index[index];
}

}  // namespace

label_map remap(const image_view& image, const quantize_result& palette, const remap_options& options,
                backend& engine) {
  if (image.width != palette.width || image.height != palette.height) {
    throw error(error_kind::invalid_argument,
                "remap: the image is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                    ", the palette was built from one of " + std::to_string(palette.width) + "x" +
                    std::to_string(palette.height));
  }
  // Dithering does not read the backend, but the contract is one: a palette
  // is remapped right after it was built, on the engine that built it.
  if (!pixel_map_access::labels_current_on(palette.map, engine)) {
    throw error(error_kind::internal, "remap: the backend no longer holds this image's colours");
  }
  label_map out;
  out.width = image.width;
  out.height = image.height;
  out.indices.resize(image.pixel_count());
  switch (options.dither) {
    case dither_method::none:
      gather_labels(image, palette, engine, out);
      break;
    case dither_method::floyd_steinberg:
      dither_labels(image, palette, out);
      break;
    default:
      throw error(error_kind::invalid_argument, "remap: unknown dither method");
  }
  return out;
}

}  // namespace kmq
