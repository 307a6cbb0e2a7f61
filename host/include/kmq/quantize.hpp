// Palette building: one image in, its palette out (distinct colours,
// clustering, the palette that is written, each colour's nearest entry).
// Mapping the pixels to that palette is remap() (remap.hpp), as libimagequant
// separates liq_quantize_image from liq_write_remapped_image. No I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/backend.hpp"
#include "kmq/image_view.hpp"
#include "kmq/iteration_stats.hpp"
#include "kmq/observer.hpp"
#include "kmq/quantize_params.hpp"

namespace kmq {

// Where each pixel's colour is: on the host (pixel -> point index), or kept by
// the backend that counted the colours (a GPU keeps it in device memory, so no
// word per pixel crosses the bus twice). Only remap() reads it, and refuses a
// map whose backend has moved on to another image: the order of the calls is
// the types', not a comment's.
class pixel_map {
 public:
  bool kept_by_backend() const { return keeper_ != nullptr; }
  // Frees the map once the label map is made; remap() then refuses it.
  void release() {
    to_point_ = {};
    keeper_ = nullptr;
    labeller_ = nullptr;
  }

 private:
  friend struct pixel_map_access;  // quantize.cpp and remap.cpp
  std::vector<std::uint32_t> to_point_;
  const backend* keeper_ = nullptr;  // set: the map stays with this backend
  const backend* labeller_ = nullptr;  // the backend that holds the points' palette labels
  std::uint64_t image_serial_ = 0;   // labeller_->image_serial() when the labels were made
};

struct quantize_result {
  std::uint32_t width = 0, height = 0;
  std::vector<packed_rgba> palette;   // <= k entries, in output order (see palette_order.hpp)
  std::vector<std::uint64_t> usage;   // pixels per palette entry (without dithering)
  std::size_t distinct_colors = 0;
  bool lossless = false;              // k >= distinct colours: the palette is those colours
  int iterations = 0;                 // Lloyd passes of the kept run
  bool converged = false;
  int restarts = 1;                   // seedings run
  int best_restart = 0;               // which of them was kept
  double wcss = 0.0;                  // of the colours against their nearest palette entry (exact)
  std::vector<iteration_stats> passes;  // every Lloyd pass of the kept run
  double histogram_seconds = 0.0;
  double seed_seconds = 0.0;
  double iterate_seconds = 0.0;
  double palette_seconds = 0.0;       // rounding, nearest entries, order

  std::vector<double> wcss_history() const;  // passes[i].wcss

  // For remap(): each pixel's colour, and what renumbers the backend's labels
  // (the palette before ordering) to output order.
  pixel_map map;
  std::vector<std::uint8_t> output_index;
};

// The pixels must have had collapse_transparent() applied. Throws
// error(invalid_argument) for options out of range (validate()), and
// error(cancelled) when the observer says stop.
quantize_result quantize(const image_view& image, const quantize_options& options, backend& engine,
                         observer* watcher = nullptr);

}  // namespace kmq
