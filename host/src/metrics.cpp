// Error measures of a quantized image against its (transparency-collapsed)
// original.
//
// SSIM follows Wang, Bovik, Sheikh & Simoncelli (2004) with C1 = (0.01*255)^2
// and C2 = (0.03*255)^2, on BT.601 luma (Y = 0.299 R + 0.587 G + 0.114 B, of the
// colour premultiplied by alpha, i.e. composited over black), averaged over
// 8x8 windows with uniform weights placed every 4 pixels in each direction
// (a smaller image uses one window of its own size along that direction).
#include "kmq/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "composited_error.hpp"
#include "kmq/error.hpp"
#include "kmq/oklab.hpp"
#include "parallel.hpp"

namespace kmq {
namespace {

constexpr std::uint32_t ssim_window = 8;
constexpr std::uint32_t ssim_stride = 4;

// Luma in integers: 1000 * 255 * (0.299 R + 0.587 G + 0.114 B) * alpha / 255,
// exact, at most 65,025,000. Window sums of it and of its squares and
// products are exact in 64 bits (and the variances in 128), so SSIM depends
// on no summation order: any split over threads gives the same bits.
constexpr double luma_scale = 1000.0 * 255.0;

std::int64_t luma_units(packed_rgba c) {
  const std::int64_t y = 299 * std::int64_t{channel_of(c, 0)} + 587 * std::int64_t{channel_of(c, 1)} +
                         114 * std::int64_t{channel_of(c, 2)};
  return y * alpha_of(c);
}

// Window starts along one axis: every stride, plus one flush with the far edge
// so the last pixels are covered.
std::vector<std::uint32_t> window_starts(std::uint32_t length, std::uint32_t window) {
  std::vector<std::uint32_t> starts;
  if (length <= window) return {0};
  for (std::uint32_t s = 0; s + window <= length; s += ssim_stride) starts.push_back(s);
  if (starts.back() + window != length) starts.push_back(length - window);
  return starts;
}

// The five sums of one window, or of one column of a window row.
struct moments {
  std::int64_t a = 0, b = 0, aa = 0, bb = 0, ab = 0;
  void add(std::int64_t x, std::int64_t y) {
    a += x;
    b += y;
    aa += x * x;
    bb += y * y;
    ab += x * y;
  }
  void add(const moments& m) {
    a += m.a;
    b += m.b;
    aa += m.aa;
    bb += m.bb;
    ab += m.ab;
  }
};

// SSIM of one window from its exact sums: n * sum(x^2) - sum(x)^2 is the
// variance times n^2, without the cancellation of E[x^2] - E[x]^2 in doubles.
double window_ssim(const moments& m, std::int64_t n) {
  __extension__ typedef __int128 wide;  // GCC and Clang; -Wpedantic knows it is not ISO
  const double scale = luma_scale * static_cast<double>(n);  // sums / scale = means of luma
  const double scale2 = scale * scale;
  const double ma = static_cast<double>(m.a) / scale, mb = static_cast<double>(m.b) / scale;
  const double va = static_cast<double>(wide{n} * m.aa - wide{m.a} * m.a) / scale2;
  const double vb = static_cast<double>(wide{n} * m.bb - wide{m.b} * m.b) / scale2;
  const double cov = static_cast<double>(wide{n} * m.ab - wide{m.a} * m.b) / scale2;
  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  return ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
}

// A band: the sums of each pixel column in [x_begin, x_end) over `rows` rows
// from y (out[0] is column x_begin).
void band_sums(const packed_rgba* original, const std::uint8_t* indices, const std::int64_t (&palette_luma)[256],
               std::uint32_t width, std::uint32_t x_begin, std::uint32_t x_end, std::uint32_t y, std::uint32_t rows,
               std::vector<moments>& out) {
  std::fill(out.begin(), out.end(), moments{});
  for (std::uint32_t row_y = y; row_y < y + rows; ++row_y) {
    const std::size_t row = static_cast<std::size_t>(row_y) * width;
    for (std::uint32_t x = x_begin; x < x_end; ++x) {
      out[x - x_begin].add(luma_units(original[row + x]), palette_luma[indices[row + x]]);
    }
  }
}

// Windows are taken in blocks of this many pixel columns (plus the last
// window's reach), so a thread's column sums are at most about 1.3 MB
// whatever the width: a 16,000,000x1 image took 3.9 GB when they spanned the
// row. Up to 8K wide an image is one block, as before (smaller blocks cost a
// few per cent on one thread).
constexpr std::uint32_t block_columns = 8192;
constexpr std::size_t windows_per_block = block_columns / ssim_stride;

// Each window's SSIM into its own slot (row-major), summed afterwards in that
// order, so the total too is the same on any number of threads. Threads take
// runs of (column block, row of windows), rows inner. Windows are 8 wide and
// overlap by half (stride 4), so the sums are built from 4x4 pieces, each
// pixel read once per block: a row of windows adds two bands of 4 rows (the
// lower one is the next row's upper one), and a window adds two 4-column
// pieces of that (the right one is the next window's left one). The window
// flush with the far edge, and images under 8 pixels along an axis, are summed
// directly. Every sum is an integer, so neither the pieces' order nor the
// blocks change a bit.
double mean_ssim(const packed_rgba* original, const std::uint8_t* indices, const std::vector<packed_rgba>& palette,
                 std::uint32_t width, std::uint32_t height, int threads) {
  std::int64_t palette_luma[256] = {};
  for (std::size_t j = 0; j < palette.size() && j < 256; ++j) palette_luma[j] = luma_units(palette[j]);
  const std::uint32_t window_w = std::min(width, ssim_window), window_h = std::min(height, ssim_window);
  const std::vector<std::uint32_t> xs = window_starts(width, window_w), ys = window_starts(height, window_h);
  const std::int64_t n = std::int64_t{window_w} * window_h;
  std::vector<double> values(xs.size() * ys.size());
  const std::size_t row_count = ys.size();
  const std::size_t blocks = (xs.size() + windows_per_block - 1) / windows_per_block;
  const std::size_t units = blocks * row_count;
  // Split by pixels so that parallel_chunks' threshold means what it says.
  const std::size_t pixels_per_unit = static_cast<std::size_t>(std::min(width, block_columns + ssim_window)) * window_h;
  detail::parallel_chunks(threads, units * pixels_per_unit, [&](int, std::size_t begin, std::size_t end) {
    const std::size_t first = (begin + pixels_per_unit - 1) / pixels_per_unit;
    const std::size_t last = std::min(units, (end + pixels_per_unit - 1) / pixels_per_unit);
    if (first >= last) return;
    constexpr std::uint32_t half = ssim_window / 2;
    static_assert(ssim_stride == half, "the pieces are half a window");
    std::vector<moments> columns, upper, lower, pieces;
    std::size_t block = blocks;  // none yet
    std::uint32_t x_begin = 0, lower_y = 0;
    bool lower_valid = false;  // lower holds the band of rows [lower_y, lower_y + half) of this block
    for (std::size_t u = first; u < last; ++u) {
      if (u / row_count != block) {
        block = u / row_count;
        const std::size_t window_begin = block * windows_per_block;
        const std::size_t window_end = std::min(xs.size(), window_begin + windows_per_block);
        x_begin = xs[window_begin];
        const std::uint32_t span = xs[window_end - 1] + window_w - x_begin;
        columns.assign(span, moments{});
        upper.assign(span, moments{});
        lower.assign(span, moments{});
        pieces.assign(span / half, moments{});  // pieces[j]: columns x_begin + [4j, 4j + 4)
        lower_valid = false;
      }
      const std::size_t r = u % row_count;
      const std::uint32_t x_end = x_begin + static_cast<std::uint32_t>(columns.size());
      const std::uint32_t y0 = ys[r];
      if (window_h == ssim_window && y0 % half == 0) {
        if (lower_valid && lower_y == y0) {
          upper.swap(lower);
        } else {
          band_sums(original, indices, palette_luma, width, x_begin, x_end, y0, half, upper);
        }
        band_sums(original, indices, palette_luma, width, x_begin, x_end, y0 + half, half, lower);
        lower_y = y0 + half;
        lower_valid = true;
        for (std::size_t x = 0; x < columns.size(); ++x) {
          columns[x] = upper[x];
          columns[x].add(lower[x]);
        }
      } else {
        band_sums(original, indices, palette_luma, width, x_begin, x_end, y0, window_h, columns);
      }
      const bool by_pieces = window_w == ssim_window;
      if (by_pieces) {
        for (std::size_t j = 0; j < pieces.size(); ++j) {
          moments piece;
          for (std::size_t x = j * half; x < (j + 1) * half; ++x) piece.add(columns[x]);
          pieces[j] = piece;
        }
      }
      const std::size_t window_begin = block * windows_per_block;
      const std::size_t window_end = std::min(xs.size(), window_begin + windows_per_block);
      for (std::size_t c = window_begin; c < window_end; ++c) {
        const std::uint32_t offset = xs[c] - x_begin;
        moments window;
        if (by_pieces && offset % half == 0) {
          window = pieces[offset / half];
          window.add(pieces[offset / half + 1]);
        } else {
          for (std::uint32_t x = offset; x < offset + window_w; ++x) window.add(columns[x]);
        }
        values[r * xs.size() + c] = window_ssim(window, n);
      }
    }
  });
  double total = 0.0;
  for (const double v : values) total += v;
  return total / (static_cast<double>(xs.size()) * static_cast<double>(ys.size()));
}

// Opaque: the plain error of R, G, B. With alpha, the composited one: the
// colours times alpha (in units of 255 * 255, so every sum is an integer)
// and alpha itself.
// A composited pixel adds up to 3 * 65025^2 (about 1.3e10): 64 bits would
// wrap after about 1.4e9 such pixels, which --max-pixels allows.
__extension__ typedef unsigned __int128 wide_sum;
struct error_sums {
  std::uint64_t colour = 0, alpha = 0;
  // Where both pixels are opaque the composited error is 255^2 times the
  // colour's: those pixels add their colour error here instead, and the
  // product is taken once at the end (no 128-bit sum per pixel).
  std::uint64_t opaque_colour = 0;
  wide_sum composited = 0;  // of the other pixels
  bool translucent = false;
};

// The palette's OKLab values once; each pixel's own, with the last one
// remembered (flat areas repeat a colour). Summed in pixel order.
double mean_delta_e(const packed_rgba* original, const std::uint8_t* indices, const std::vector<packed_rgba>& palette,
                    std::size_t count) {
  std::vector<oklab_color> entries(palette.size());
  std::transform(palette.begin(), palette.end(), entries.begin(), [](packed_rgba c) { return to_oklab(c); });
  packed_rgba last = original[0];
  oklab_color lab = to_oklab(last);
  double total = 0.0;
  for (std::size_t p = 0; p < count; ++p) {
    if (original[p] != last) {
      last = original[p];
      lab = to_oklab(last);
    }
    const oklab_color& e = entries[indices[p]];
    const double dl = lab.l - e.l, da = lab.a - e.a, db = lab.b - e.b;
    total += std::sqrt(dl * dl + da * da + db * db);
  }
  return total / static_cast<double>(count);
}

}  // namespace

double psnr_from_mse(double mse) {
  return mse == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(255.0 * 255.0 / mse);
}

image_metrics measure_error(const packed_rgba* original, const std::uint8_t* indices,
                            const std::vector<packed_rgba>& palette, std::size_t count, int threads) {
  if (count == 0 || palette.empty()) throw error(error_kind::invalid_argument, "metrics need pixels and a palette");
  image_metrics metrics;
  threads = detail::resolve_thread_count(threads);
  // Integer sums per chunk, added in chunk order: exact on any split.
  std::vector<error_sums> sums(static_cast<std::size_t>(detail::chunk_count(threads, count)));
  detail::parallel_chunks(threads, count, [&](int chunk, std::size_t begin, std::size_t end) {
    error_sums local;
    for (std::size_t p = begin; p < end; ++p) {
      const packed_rgba a = original[p];
      const packed_rgba b = palette[indices[p]];
      std::uint64_t colour = 0;
      for (int c = 0; c < 3; ++c) {
        const std::int64_t d = static_cast<std::int64_t>(channel_of(a, c)) - static_cast<std::int64_t>(channel_of(b, c));
        colour += static_cast<std::uint64_t>(d * d);
      }
      local.colour += colour;
      if ((a & b) >> 24 == 0xffu) {
        local.opaque_colour += colour;
        continue;
      }
      local.translucent = local.translucent || alpha_of(a) != 255;
      local.composited += detail::composited_colour_distance(a, b);
      local.alpha += detail::alpha_distance(a, b);
    }
    sums[static_cast<std::size_t>(chunk)] = local;
  });
  std::uint64_t colour_error = 0, alpha_error = 0;
  wide_sum composited_error = 0;
  bool translucent = false;
  for (const error_sums& part : sums) {
    colour_error += part.colour;
    composited_error += part.composited + wide_sum{part.opaque_colour} * (255u * 255u);
    alpha_error += part.alpha;
    translucent = translucent || part.translucent;
  }
  metrics.channels = translucent ? 4 : 3;
  metrics.error_space = translucent ? "premultiplied_rgba" : "rgb";
  const double total = translucent ? static_cast<double>(composited_error) / (255.0 * 255.0) + static_cast<double>(alpha_error)
                                   : static_cast<double>(colour_error);
  metrics.mse = total / (static_cast<double>(count) * metrics.channels);
  metrics.psnr = psnr_from_mse(metrics.mse);
  return metrics;
}

image_metrics measure_quantization(const packed_rgba* original, const std::uint8_t* indices,
                                   const std::vector<packed_rgba>& palette, std::uint32_t width,
                                   std::uint32_t height, int threads, bool delta_e) {
  const std::size_t count = static_cast<std::size_t>(width) * height;
  threads = detail::resolve_thread_count(threads);
  image_metrics metrics = measure_error(original, indices, palette, count, threads);
  const bool translucent = metrics.channels == 4;
  metrics.ssim = mean_ssim(original, indices, palette, width, height, threads);
  metrics.mean_delta_e_ok =
      translucent || !delta_e ? std::numeric_limits<double>::quiet_NaN() : mean_delta_e(original, indices, palette, count);
  return metrics;
}

}  // namespace kmq
