// The distinct colours of an image, counted once, as a backend clusters them:
// straight, premultiplied (images with alpha) or in fixed-point OKLab, one
// point per colour (or per pixel with --no-dedupe), uploaded to the backend.
#include <algorithm>

#include "kmq/error.hpp"
#include "kmq/oklab.hpp"
#include "kmq/quantize.hpp"
#include "kmq/stopwatch.hpp"
#include "pixel_map_access.hpp"

namespace kmq {
namespace {

// The histogram takes one contiguous run of pixels.
std::vector<packed_rgba> packed_copy(const image_view& image) {
  std::vector<packed_rgba> pixels(image.pixel_count());
  for (std::uint32_t y = 0; y < image.height; ++y) {
    std::copy(image.row(y), image.row(y) + image.width, pixels.begin() + static_cast<std::ptrdiff_t>(y) * image.width);
  }
  return pixels;
}

}  // namespace

color_set analyse_colors(const image_view& image, bool dedupe, backend& engine, observer* watcher, color_space space) {
  const std::size_t count = image.pixel_count();
  if (count == 0) throw error(error_kind::invalid_argument, "image has no pixels");
  std::vector<packed_rgba> packed;
  if (!image.contiguous()) packed = packed_copy(image);
  const packed_rgba* pixels = image.contiguous() ? image.pixels : packed.data();

  report_stage(watcher, job_stage::histogram);
  detail::stopwatch histogram_time;
  color_set set;
  set.width_ = image.width;
  set.height_ = image.height;
  set.dedupe_ = dedupe;
  set.requested_space_ = space;
  engine.begin_image();
  // Deduplicated, the map only serves the final label map: a backend that
  // can keep it where it was made (device memory) does.
  color_histogram histogram;
  const bool map_kept = dedupe && engine.histogram_keeping_map(pixels, count, histogram);
  if (!map_kept) histogram = engine.histogram(pixels, count);
  set.distinct_colors_ = histogram.colors.size();
  // Colours are sorted by key, alpha in the high byte: the last is the most opaque.
  set.translucent_ = alpha_of(histogram.colors.front()) < 255;
  std::vector<packed_rgba> clustered = histogram.colors;
  set.distinct_points_ = clustered.size();
  if (set.translucent_) {
    std::transform(clustered.begin(), clustered.end(), clustered.begin(), premultiply);
    std::vector<packed_rgba> distinct = clustered;
    std::sort(distinct.begin(), distinct.end());
    const std::size_t merged = static_cast<std::size_t>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
    // Where premultiplying would merge colours of an image a palette can hold
    // whole, the lossless palette would no longer be: cluster straight colours.
    set.premultiplied_ = merged == clustered.size() || clustered.size() > static_cast<std::size_t>(max_colors);
    if (set.premultiplied_) {
      set.distinct_points_ = merged;
    } else {
      clustered = histogram.colors;
    }
  }
  if (space == color_space::oklab && !set.translucent_) {
    std::vector<packed_rgba> lab(clustered.size());
    std::transform(clustered.begin(), clustered.end(), lab.begin(), [](packed_rgba c) { return to_oklab_fixed(c); });
    std::vector<packed_rgba> distinct = lab;
    std::sort(distinct.begin(), distinct.end());
    const std::size_t merged = static_cast<std::size_t>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
    // As with premultiplying: colours that would merge must not cost a
    // palette that could hold the image whole its losslessness.
    if (merged == lab.size() || lab.size() > static_cast<std::size_t>(max_colors)) {
      set.space_ = color_space::oklab;
      set.distinct_points_ = merged;
      clustered = std::move(lab);
    }
  }
  if (map_kept) pixel_map_access::keep_with(set.map_, &engine);
  if (dedupe) {
    set.points_ = std::move(clustered);
    set.weights_ = histogram.counts;
    pixel_map_access::set_host_map(set.map_, std::move(histogram.pixel_to_color));
  } else {
    // Every pixel a point of weight 1, grouped by colour in the histogram's
    // order (expand_histogram), which is what keeps the result the same.
    pixel_points expanded = expand_histogram(histogram);
    set.points_ = std::move(expanded.points);
    if (set.premultiplied_) std::transform(set.points_.begin(), set.points_.end(), set.points_.begin(), premultiply);
    if (set.space_ == color_space::oklab) {
      // The pixels run colour by colour: each run takes its colour's point.
      set.rgb_points_ = set.points_;
      std::size_t at = 0;
      for (std::size_t c = 0; c < clustered.size(); ++c) {
        std::fill_n(set.points_.begin() + static_cast<std::ptrdiff_t>(at), histogram.counts[c], clustered[c]);
        at += histogram.counts[c];
      }
    }
    set.weights_.assign(set.points_.size(), 1);
    set.cluster_colors_ = std::move(clustered);
    set.counts_ = histogram.counts;
    std::vector<std::uint32_t> pixel_to_point(count);
    for (std::size_t i = 0; i < expanded.point_to_pixel.size(); ++i) {
      pixel_to_point[expanded.point_to_pixel[i]] = static_cast<std::uint32_t>(i);
    }
    pixel_map_access::set_host_map(set.map_, std::move(pixel_to_point));
  }
  set.colors_ = std::move(histogram.colors);
  engine.upload(set.points_.data(), set.weights_.data(), set.points_.size());
  pixel_map_access::held_by(set.map_, engine);
  set.histogram_seconds_ = histogram_time.seconds();
  return set;
}

}  // namespace kmq
