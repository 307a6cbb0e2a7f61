#include "preview.hpp"

#include <algorithm>
#include <cmath>

#include "kmq/random.hpp"

namespace kmq::report {

extent fit_within(std::uint32_t width, std::uint32_t height, unsigned side) {
  if (width <= side && height <= side) return {width, height};
  const double scale = static_cast<double>(side) / static_cast<double>(std::max(width, height));
  const auto scaled = [&](std::uint32_t n) {
    const auto v = static_cast<std::uint32_t>(std::lround(static_cast<double>(n) * scale));
    return std::clamp<std::uint32_t>(v, 1, side);
  };
  return {scaled(width), scaled(height)};
}

std::vector<packed_rgba> box_downscale(const std::vector<packed_rgba>& pixels, extent from, extent to) {
  std::vector<packed_rgba> out(std::size_t{to.width} * to.height);
  // Source columns of each preview column, computed once.
  std::vector<std::uint32_t> x_begin(to.width + 1);
  for (std::uint32_t x = 0; x <= to.width; ++x)
    x_begin[x] = static_cast<std::uint32_t>(std::uint64_t{x} * from.width / to.width);
  for (std::uint32_t y = 0; y < to.height; ++y) {
    const auto y0 = static_cast<std::uint32_t>(std::uint64_t{y} * from.height / to.height);
    const auto y1 = std::max(y0 + 1, static_cast<std::uint32_t>(std::uint64_t{y + 1} * from.height / to.height));
    for (std::uint32_t x = 0; x < to.width; ++x) {
      const std::uint32_t x0 = x_begin[x], x1 = std::max(x0 + 1, x_begin[x + 1]);
      std::uint64_t r = 0, g = 0, b = 0, a = 0;
      for (std::uint32_t sy = y0; sy < y1; ++sy) {
        const packed_rgba* row = pixels.data() + std::size_t{sy} * from.width;
        for (std::uint32_t sx = x0; sx < x1; ++sx) {
          const packed_rgba c = row[sx];
          const std::uint32_t alpha = alpha_of(c);
          r += std::uint64_t{channel_of(c, 0)} * alpha;
          g += std::uint64_t{channel_of(c, 1)} * alpha;
          b += std::uint64_t{channel_of(c, 2)} * alpha;
          a += alpha;
        }
      }
      const std::uint64_t n = std::uint64_t{x1 - x0} * (y1 - y0);
      const auto mean = [&](std::uint64_t sum) { return a == 0 ? 0u : static_cast<std::uint32_t>((sum + a / 2) / a); };
      out[std::size_t{y} * to.width + x] =
          pack_rgba(mean(r), mean(g), mean(b), static_cast<std::uint32_t>((a + n / 2) / n));
    }
  }
  return out;
}

label_map nearest_labels(const label_map& labels, extent to) {
  label_map out;
  out.width = to.width;
  out.height = to.height;
  out.indices.resize(std::size_t{to.width} * to.height);
  std::vector<std::uint32_t> source_x(to.width);
  for (std::uint32_t x = 0; x < to.width; ++x)
    source_x[x] = static_cast<std::uint32_t>((2 * std::uint64_t{x} + 1) * labels.width / (2 * std::uint64_t{to.width}));
  for (std::uint32_t y = 0; y < to.height; ++y) {
    const auto sy = static_cast<std::uint32_t>((2 * std::uint64_t{y} + 1) * labels.height / (2 * std::uint64_t{to.height}));
    const std::uint8_t* row = labels.indices.data() + std::size_t{sy} * labels.width;
    for (std::uint32_t x = 0; x < to.width; ++x) out.indices[std::size_t{y} * to.width + x] = row[source_x[x]];
  }
  return out;
}

label_map cluster_boundaries(const label_map& labels) {
  label_map out;
  out.width = labels.width;
  out.height = labels.height;
  out.indices.assign(labels.indices.size(), 0);
  for (std::uint32_t y = 0; y < labels.height; ++y) {
    for (std::uint32_t x = 0; x < labels.width; ++x) {
      const std::size_t at = std::size_t{y} * labels.width + x;
      const bool right = x + 1 < labels.width && labels.indices[at + 1] != labels.indices[at];
      const bool below = y + 1 < labels.height && labels.indices[at + labels.width] != labels.indices[at];
      out.indices[at] = (right || below) ? 1 : 0;
    }
  }
  return out;
}

region largest_error_region(const std::vector<packed_rgba>& pixels, const label_map& labels,
                            const std::vector<packed_rgba>& palette, std::uint32_t side) {
  const std::uint32_t w = labels.width, h = labels.height;
  region best{0, 0, std::min(side, w), std::min(side, h)};
  if (w <= side && h <= side) return best;
  // Squared error summed over cells of side/4 pixels; windows start on cells
  // (the last ones moved back inside the image) and are scored by the cells
  // they cover.
  const std::uint32_t cell = std::max<std::uint32_t>(1, side / 4);
  const std::uint32_t cols = (w + cell - 1) / cell, rows = (h + cell - 1) / cell;
  std::vector<std::uint64_t> error(std::size_t{cols} * rows, 0);
  for (std::uint32_t y = 0; y < h; ++y) {
    for (std::uint32_t x = 0; x < w; ++x) {
      const std::size_t at = std::size_t{y} * w + x;
      error[std::size_t{y / cell} * cols + x / cell] += squared_distance(pixels[at], palette[labels.indices[at]]);
    }
  }
  const std::uint32_t span_x = std::min(cols, (best.width + cell - 1) / cell);
  const std::uint32_t span_y = std::min(rows, (best.height + cell - 1) / cell);
  std::uint64_t best_error = 0;
  bool found = false;
  for (std::uint32_t cy = 0; cy + span_y <= rows; ++cy) {
    for (std::uint32_t cx = 0; cx + span_x <= cols; ++cx) {
      std::uint64_t total = 0;
      for (std::uint32_t dy = 0; dy < span_y; ++dy)
        for (std::uint32_t dx = 0; dx < span_x; ++dx) total += error[std::size_t{cy + dy} * cols + cx + dx];
      if (!found || total > best_error) {
        best_error = total;
        best.x = std::min(cx * cell, w - best.width);
        best.y = std::min(cy * cell, h - best.height);
        found = true;
      }
    }
  }
  return best;
}

namespace {

// The rows of region r of a row-major image width values wide.
template <typename T>
std::vector<T> crop_rows(const std::vector<T>& values, std::uint32_t width, region r) {
  std::vector<T> out;
  out.reserve(std::size_t{r.width} * r.height);
  for (std::uint32_t y = r.y; y < r.y + r.height; ++y) {
    const T* row = values.data() + std::size_t{y} * width + r.x;
    out.insert(out.end(), row, row + r.width);
  }
  return out;
}

}  // namespace

std::vector<packed_rgba> crop(const std::vector<packed_rgba>& pixels, std::uint32_t width, region r) {
  return crop_rows(pixels, width, r);
}

label_map crop(const label_map& labels, region r) {
  label_map out;
  out.width = r.width;
  out.height = r.height;
  out.indices = crop_rows(labels.indices, labels.width, r);
  return out;
}

pixel_sample sample_pixels(const std::vector<packed_rgba>& pixels, const label_map& labels, std::size_t max_points) {
  pixel_sample sample;
  std::vector<std::size_t> visible;  // indices of pixels that show something
  visible.reserve(pixels.size());
  for (std::size_t i = 0; i < pixels.size(); ++i)
    if (alpha_of(pixels[i]) != 0) visible.push_back(i);
  sample.population = visible.size();
  const std::size_t n = std::min(max_points, visible.size());
  seeded_random draws(0x6b6d712d7265706full);  // "kmq-repo": any fixed seed
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t begin = k * visible.size() / n, end = (k + 1) * visible.size() / n;
    const std::size_t pick = visible[begin + static_cast<std::size_t>(draws.below(end - begin))];
    sample.colours.push_back(pixels[pick]);
    sample.labels.push_back(labels.indices[pick]);
  }
  return sample;
}

}  // namespace kmq::report
