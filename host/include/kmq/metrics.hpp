// How far the quantized image is from the original.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq {

struct image_metrics {
  // Mean squared error per channel, 0..255 scale. Opaque images: over R, G, B.
  // Images with alpha: the composited error, over R*A/255, G*A/255, B*A/255
  // and A (what a viewer sees over any background), error_space says which.
  double mse = 0.0;
  double psnr = 0.0;  // 10 log10(255^2 / mse) dB; infinity when mse == 0
  double ssim = 1.0;  // mean SSIM of luma, 8x8 windows (see metrics.cpp)
  // Mean ΔE_ok (Euclidean distance in OKLab, exact, oklab.hpp) over the
  // pixels of an opaque image, output against input, when asked for (it costs
  // three cube roots per pixel: about 0.3 s on 3.7 MP); NaN for an image with
  // alpha or when not asked.
  double mean_delta_e_ok = 0.0;
  int channels = 3;   // channels counted in mse
  const char* error_space = "rgb";  // "rgb" or "premultiplied_rgba"
};

// 10 log10(255^2 / mse) dB; infinity when mse == 0.
double psnr_from_mse(double mse);

// The error alone (mse, psnr, channels, error_space; no SSIM, no ΔE), as
// measure_quantization counts it: composited for images with alpha.
image_metrics measure_error(const packed_rgba* original, const std::uint8_t* indices,
                            const std::vector<packed_rgba>& palette, std::size_t count, int threads = 1);

// threads: 0 = all cores; the values do not depend on it (integer sums for
// MSE, SSIM's windows summed in one fixed order).
image_metrics measure_quantization(const packed_rgba* original, const std::uint8_t* indices,
                                   const std::vector<packed_rgba>& palette, std::uint32_t width,
                                   std::uint32_t height, int threads = 1, bool delta_e = false);

}  // namespace kmq
