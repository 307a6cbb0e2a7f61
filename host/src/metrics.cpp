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

#include "kmq/error.hpp"
#include "kmq/oklab.hpp"

namespace kmq {
namespace {

constexpr std::uint32_t ssim_window = 8;
constexpr std::uint32_t ssim_stride = 4;

double luma(packed_rgba c) {
  const double y = 0.299 * channel_of(c, 0) + 0.587 * channel_of(c, 1) + 0.114 * channel_of(c, 2);
  return y * alpha_of(c) / 255.0;
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

double mean_ssim(const packed_rgba* original, const std::uint8_t* indices, const std::vector<packed_rgba>& palette,
                 std::uint32_t width, std::uint32_t height) {
  std::vector<double> palette_luma(palette.size());
  for (std::size_t j = 0; j < palette.size(); ++j) palette_luma[j] = luma(palette[j]);
  const std::uint32_t window_w = std::min(width, ssim_window), window_h = std::min(height, ssim_window);
  const std::vector<std::uint32_t> xs = window_starts(width, window_w), ys = window_starts(height, window_h);
  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  const double n = static_cast<double>(window_w) * window_h;
  double total = 0.0;
  for (std::uint32_t y0 : ys) {
    for (std::uint32_t x0 : xs) {
      double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (std::uint32_t y = y0; y < y0 + window_h; ++y) {
        const std::size_t row = static_cast<std::size_t>(y) * width;
        for (std::uint32_t x = x0; x < x0 + window_w; ++x) {
          const double a = luma(original[row + x]);
          const double b = palette_luma[indices[row + x]];
          sa += a;
          sb += b;
          saa += a * a;
          sbb += b * b;
          sab += a * b;
        }
      }
      const double ma = sa / n, mb = sb / n;
      const double va = saa / n - ma * ma, vb = sbb / n - mb * mb, cov = sab / n - ma * mb;
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
    }
  }
  return total / (static_cast<double>(xs.size()) * static_cast<double>(ys.size()));
}

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

image_metrics measure_quantization(const packed_rgba* original, const std::uint8_t* indices,
                                   const std::vector<packed_rgba>& palette, std::uint32_t width,
                                   std::uint32_t height, bool delta_e) {
  const std::size_t count = static_cast<std::size_t>(width) * height;
  if (count == 0 || palette.empty()) throw error(error_kind::invalid_argument, "metrics need pixels and a palette");
  image_metrics metrics;
  // Opaque: the plain error of R, G, B. With alpha, the composited one: the
  // colours times alpha (in units of 255 * 255, so every sum is an integer)
  // and alpha itself.
  std::uint64_t colour_error = 0, composited_error = 0, alpha_error = 0;
  bool translucent = false;
  for (std::size_t p = 0; p < count; ++p) {
    const packed_rgba a = original[p];
    const packed_rgba b = palette[indices[p]];
    translucent = translucent || alpha_of(a) != 255;
    for (int c = 0; c < 3; ++c) {
      const std::int64_t d = static_cast<std::int64_t>(channel_of(a, c)) - static_cast<std::int64_t>(channel_of(b, c));
      const std::int64_t shown = static_cast<std::int64_t>(channel_of(a, c) * alpha_of(a)) -
                                 static_cast<std::int64_t>(channel_of(b, c) * alpha_of(b));
      colour_error += static_cast<std::uint64_t>(d * d);
      composited_error += static_cast<std::uint64_t>(shown * shown);
    }
    const std::int64_t d = static_cast<std::int64_t>(alpha_of(a)) - static_cast<std::int64_t>(alpha_of(b));
    alpha_error += static_cast<std::uint64_t>(d * d);
  }
  metrics.channels = translucent ? 4 : 3;
  metrics.error_space = translucent ? "premultiplied_rgba" : "rgb";
  const double total = translucent ? static_cast<double>(composited_error) / (255.0 * 255.0) + static_cast<double>(alpha_error)
                                   : static_cast<double>(colour_error);
  metrics.mse = total / (static_cast<double>(count) * metrics.channels);
  metrics.psnr = psnr_from_mse(metrics.mse);
  metrics.ssim = mean_ssim(original, indices, palette, width, height);
  metrics.mean_delta_e_ok =
      translucent || !delta_e ? std::numeric_limits<double>::quiet_NaN() : mean_delta_e(original, indices, palette, count);
  return metrics;
}

}  // namespace kmq
