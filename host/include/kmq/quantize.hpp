// Palette building: an image's colours counted once (analyse_colors), then
// any number of palettes built from them (quantize) — one K, or many for a
// quality target or an elbow curve. Mapping the pixels to a palette is
// remap() (remap.hpp), as libimagequant separates liq_quantize_image from
// liq_write_remapped_image. No I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
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
// map whose backend has moved on to another image or palette: the order of
// the calls is checked by the types and the backend, not by a comment.
class pixel_map {
 public:
  bool kept_by_backend() const { return keeper_ != nullptr; }
  // Lets go of the map once the label map is made; remap() then refuses it.
  void release() { *this = pixel_map(); }

 private:
  friend struct pixel_map_access;  // quantize.cpp and remap.cpp
  std::shared_ptr<const std::vector<std::uint32_t>> to_point_;  // shared by every palette of one image
  const backend* keeper_ = nullptr;    // set: the map stays with this backend
  const backend* engine_ = nullptr;    // the backend holding the points (and the palette's labels)
  std::uint64_t image_serial_ = 0;     // engine_->image_serial() of the colours
  std::uint64_t labels_serial_ = 0;    // engine_->labels_serial() of the palette's labels
};

class color_set;
struct quantize_result;

// Counts the image's colours on the backend and uploads them. The pixels must
// have had collapse_transparent() applied. dedupe false: every pixel becomes
// a point of weight 1 (the same result, slower). watcher may be nullptr.
// space oklab: the points uploaded are the colours' fixed-point OKLab values
// (oklab.hpp), for an opaque image whose colours stay distinct there or that
// has more colours than any palette holds; any other image stays in rgb
// (color_set::space() says which).
color_set analyse_colors(const image_view& image, bool dedupe, backend& engine, observer* watcher,
                         color_space space = color_space::rgb);

// A palette from the colour set, on the backend that analysed it and that has
// analysed no other image since (else error(internal)). Throws
// error(invalid_argument) for options out of range (validate()), and
// error(cancelled) when the observer says stop. options.dedupe must match the
// colour set's. kmeans.restarts 0 means automatic_restarts(k, the colours clustered, with alpha, the pixels).
quantize_result quantize(const color_set& colors, const quantize_options& options, backend& engine,
                         observer* watcher);

// An image's distinct colours with their pixel counts, uploaded to a backend:
// what every palette of that image is built from.
class color_set {
 public:
  std::uint32_t width() const { return width_; }
  std::uint32_t height() const { return height_; }
  std::size_t distinct_colors() const { return distinct_colors_; }
  bool dedupe() const { return dedupe_; }
  // Any colour with alpha < 255: then errors count four channels, else three.
  bool translucent() const { return translucent_; }
  // Clustered as the colours show composited (premultiplied by alpha): every
  // image with alpha whose premultiplied colours stay distinct or that has
  // more colours than any palette holds (then no K is lossless anyway).
  bool premultiplied() const { return premultiplied_; }
  double histogram_seconds() const { return histogram_seconds_; }
  // The space the points are in, and the one analyse_colors() was asked for.
  color_space space() const { return space_; }
  color_space requested_space() const { return requested_space_; }
  // What the backend holds (the colours or every pixel, premultiplied when
  // premultiplied()) and their weights; the distinct colours as the image has
  // them, and (no dedupe) each one's pixel count.
  const std::vector<packed_rgba>& points() const { return points_; }
  const std::vector<std::uint32_t>& points_weights() const { return weights_; }
  const std::vector<packed_rgba>& straight_colors() const { return colors_; }
  const std::vector<std::uint32_t>& color_counts() const { return counts_; }
  // The distinct colours as clustered (premultiplied or not), index for index with straight_colors().
  const std::vector<packed_rgba>& clustered_colors() const { return dedupe_ ? points_ : cluster_colors_; }

 private:
  friend color_set analyse_colors(const image_view&, bool, backend&, observer*, color_space);
  friend quantize_result quantize(const color_set&, const quantize_options&, backend&, observer*);
  std::uint32_t width_ = 0, height_ = 0;
  std::size_t distinct_colors_ = 0;
  bool dedupe_ = true, translucent_ = false, premultiplied_ = false;
  color_space space_ = color_space::rgb, requested_space_ = color_space::rgb;
  std::vector<packed_rgba> rgb_points_;    // oklab without dedupe only: the pixels' sRGB colours, point for point
  std::size_t distinct_points_ = 0;        // distinct colours as clustered (fewer when premultiplying merges some)
  double histogram_seconds_ = 0.0;
  std::vector<packed_rgba> colors_;        // distinct colours (for the lossless palette)
  std::vector<packed_rgba> points_;        // what is uploaded: the colours, or every pixel (no dedupe)
  std::vector<std::uint32_t> weights_;     // their weights
  std::vector<packed_rgba> cluster_colors_; // no dedupe only: colors_ as clustered (premultiplied or not)
  std::vector<std::uint32_t> counts_;      // no dedupe only: pixels of each colour (points_ run by colour)
  pixel_map map_;                          // image serial and where the map is; no labels yet
};

struct quantize_result {
  std::uint32_t width = 0, height = 0;
  int k = 0;                          // the K asked
  std::vector<packed_rgba> palette;   // <= k entries, in output order (see palette_order.hpp)
  std::vector<std::uint64_t> usage;   // pixels per palette entry (without dithering)
  std::size_t distinct_colors = 0;
  bool lossless = false;              // k >= distinct colours: the palette is those colours
  bool exact_grey = false;            // an opaque grey image: the exact optimum (grey_palette.hpp), no Lloyd pass
  int iterations = 0;                 // Lloyd passes of the kept run
  bool converged = false;
  int restarts = 1;                   // seedings run (the variance split's included)
  bool split_run = false;             // the last of them was seeded by variance splitting (kmeans_params::split_run)
  int best_restart = 0;               // which of them was kept
  bool split_run_kept() const { return split_run && best_restart == restarts - 1; }
  double wcss = 0.0;                  // of the pixels against their nearest palette entry (exact)
  // Per pixel and channel (3, or 4 with translucency), exact: the error
  // measure_quantization() reports for the undithered result. Opaque, wcss
  // divided out; with translucency the composited error of the straight
  // colours (R*A/255, ... and A), which wcss counts on the rounded
  // premultiplied values instead (within ~0.5 of it).
  double mse = 0.0;
  bool premultiplied = false;         // wcss is of premultiplied colours (composited error)
  // Where the clustering ran. oklab: passes' WCSS are in fixed-point OKLab
  // units; wcss and mse above are still the sRGB error of the result.
  color_space space = color_space::rgb;
  std::vector<iteration_stats> passes;  // every Lloyd pass of the kept run
  double histogram_seconds = 0.0;     // of the colour set (shared by its palettes)
  double seed_seconds = 0.0;
  double iterate_seconds = 0.0;
  double palette_seconds = 0.0;       // rounding, nearest entries, order
  std::uint64_t refine_moves = 0;     // colours Hartigan's method moved to another cluster
  int refine_sweeps = 0;
  double refine_seconds = 0.0;        // Hartigan, and for an image with alpha the polishing rounds; exact_grey: the whole search

  std::vector<double> wcss_history() const;  // passes[i].wcss

  // For remap(): each pixel's colour, and what renumbers the backend's labels
  // (the palette before ordering) to output order.
  pixel_map map;
  std::vector<std::uint8_t> output_index;
};

// Both at once, for one palette of one image.
quantize_result quantize(const image_view& image, const quantize_options& options, backend& engine,
                         observer* watcher = nullptr);

}  // namespace kmq
