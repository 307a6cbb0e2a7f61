// Bounded views of a job's pixels and labels for the report: downscaled
// previews, cluster boundaries, a full-resolution detail and a colour sample.
// Internal to kmq_pipeline; pure functions, deterministic.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"
#include "kmq/remap.hpp"

namespace kmq::report {

struct extent {
  std::uint32_t width = 0, height = 0;
};

// The largest size of the same aspect ratio (rounded, at least 1 a side) with
// both sides <= side; the image's own size when it already fits.
extent fit_within(std::uint32_t width, std::uint32_t height, unsigned side);

// Box filter: each preview pixel is the mean of the source pixels its area
// covers, colours weighted by alpha (so transparent pixels add no colour).
std::vector<packed_rgba> box_downscale(const std::vector<packed_rgba>& pixels, extent from, extent to);

// Nearest neighbour: each preview pixel takes the label at its centre, so the
// compressed preview shows only palette colours.
label_map nearest_labels(const label_map& labels, extent to);

// 1 where a pixel's right or bottom neighbour has another label, else 0.
label_map cluster_boundaries(const label_map& labels);

struct region {
  std::uint32_t x = 0, y = 0, width = 0, height = 0;
};

// A side x side window (no larger than the image) where the squared error
// against the palette is largest, found on a grid of side/4 pixels; ties go to
// the first in row order.
region largest_error_region(const std::vector<packed_rgba>& pixels, const label_map& labels,
                            const std::vector<packed_rgba>& palette, std::uint32_t side);

std::vector<packed_rgba> crop(const std::vector<packed_rgba>& pixels, std::uint32_t width, region r);
label_map crop(const label_map& labels, region r);

// At most max_points pixels (fully transparent ones left out): one from each
// of max_points equal strides of the pixel order, at an offset drawn by a
// generator with a fixed seed, so the same image gives the same sample.
struct pixel_sample {
  std::vector<packed_rgba> colours;
  std::vector<std::uint8_t> labels;
  std::size_t population = 0;  // the pixels it was drawn from
};
pixel_sample sample_pixels(const std::vector<packed_rgba>& pixels, const label_map& labels, std::size_t max_points);

}  // namespace kmq::report
