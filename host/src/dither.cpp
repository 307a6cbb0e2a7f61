// Floyd–Steinberg error diffusion, defined to the last bit.
//
// Scan: rows top to bottom; even rows (0, 2, ...) left to right, odd rows
// right to left (serpentine), so the error does not drift one way. The error
// of a pixel goes 7/16 to the next pixel of its row in scan direction, and
// 3/16, 5/16 and 1/16 to the pixels below-behind, below and below-ahead.
// Shares that would leave the image are dropped (not renormalised).
//
// Attenuated, after libimagequant's remapping (which diffuses 15/16 and
// damps offsets above 2.4 x its palette error): a pixel takes 14/16 of the
// error that reaches it, and where that offset is large against the
// palette's own error (its squared length, summed over R, G and B, above
// 6 x mse, twice the undithered mapping's error per pixel over three
// channels; for an image with alpha mse is the composited error per
// channel, alpha's included, so the threshold is of the same size), four
// fifths of it. Classic full-strength FS lets error pile up in busy areas
// into speckle that costs MSE and adds low-frequency error of its own: on
// the samples at K = 16 and 64 the attenuated form roughly halves the MSE
// (chelsea K=64: 50.9 -> 20.0, pngquant's dithering 18.9), its error seen at
// a distance (the 7x7 box-blurred MSE) stays below pngquant's (chelsea K=64
// 3.25 against 3.97, full strength 3.13; fruits K=16 32.7 against 33.1,
// full strength 49.7), and gradients keep their smoothness (a 384x96 ramp at
// K=8: blurred 8.7 against full strength's 8.2, none 49.1). bench/NOTES.md
// has the table.
//
// Arithmetic: all integer. Error is kept per colour channel (R, G, B) in
// units of 1/(16 * 255) of a level, so the 1/16 weights and the alpha
// weighting below are exact products: a pixel's share to a neighbour is
// weight (7, 3, 5 or 1) x (wanted - chosen) x alpha, added to that
// neighbour's accumulator. A pixel's offset is, channel by channel,
// round(accumulated x 14 / (16 x 4080)) levels, where round(v) =
// floor(v + 1/2) (halves round up, towards +infinity), in 64-bit integers;
// where the offsets' squared length (an integer) exceeds 6 x mse, that is
// exceeds floor(6 x mse) (the double, computed once), round(accumulated x
// 14 x 4 / (16 x 4080 x 5)) instead. Its wanted colour is clamp(pixel + offset, 0,
// 255); its wanted alpha is its own.
// The error it leaves is wanted - chosen, from the clamped wanted colour, so
// it never exceeds 255 levels. Accumulators are bounded by 16 x 255 x 255 in
// magnitude (the weights a pixel receives sum to 16/16), far inside 32 bits.
// The nearest entry is exact (nearest_palette.hpp). Nothing depends on the
// thread count or the machine, and the palette and its mse come from
// quantize(), the same bits on every backend (mse is integer sums on the
// host over labels whose ties go to the lowest index on both, divided once;
// the parity tests compare it), so the label map is the same with
// --backend cpu and cuda.
//
// Alpha rule (what keeps sprites and cut-outs clean): colour error only,
// weighted by alpha; alpha itself is never diffused.
//  - A pixel's wanted alpha is its own alpha. Diffusing alpha error would
//    turn every antialiased rim into a dotted line of pixels that are either
//    more opaque or more transparent than their neighbours (a rim is a run of
//    translucent pixels whose alpha the palette rarely holds exactly, so the
//    error piles up along it), punch translucent holes into opaque insides
//    next to a rim, and its result depends on a background kmq never sees.
//    Alpha still goes to the nearest level the palette has, as without
//    dithering; a pure alpha ramp of one colour maps exactly as with none.
//  - So a fully opaque pixel always wants alpha 255 and a fully transparent
//    one alpha 0.
//  - A pixel with alpha 0 takes the nearest entry of its own colour, exactly
//    as without dithering (transparent black after collapse_transparent()),
//    and neither receives nor spreads error: dithering never makes a fully
//    transparent pixel visible, nor leaks the colour of the background.
//  - Colour error is weighted by the pixel's alpha: a pixel of alpha a
//    spreads (wanted - chosen) x a / 255 per colour channel, the part of its
//    error that is seen. A faint rim pixel that lands on a far entry
//    (palettes hold few translucent colours) then spreads almost nothing into
//    the opaque inside, where its full colour error would print a halo of
//    speckles; opaque pixels (a = 255) diffuse their whole error (before
//    the attenuation above, which every pixel applies alike). Every
//    pixel of alpha > 0 receives colour error in full (never amplified), so
//    a translucent area passes on a fraction a / 255 of it: it dithers more
//    gently than an opaque one, and error that reaches faint pixels dies out.
#include "dither.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "nearest_palette.hpp"

namespace kmq::detail {
namespace {

constexpr int weight_units = 16;                  // FS weights are sixteenths
constexpr int unit = weight_units * 255;          // error units per level
constexpr std::int64_t strength = 14;             // of 16: the share of the arriving error a pixel takes
constexpr std::int64_t damped = 4, damped_of = 5;  // the part kept of a large offset

// floor(numerator / denominator + 1/2) for denominator > 0, any sign.
inline int rounded_quotient(std::int64_t numerator, std::int64_t denominator) {
  const std::int64_t twice = 2 * numerator + denominator, by = 2 * denominator;
  return static_cast<int>(twice >= 0 ? twice / by : -((-twice + by - 1) / by));
}

// The offset in levels that an accumulator gives, at full attenuation or damped.
inline int offset_levels(int accumulated, bool damp) {
  return damp ? rounded_quotient(accumulated * strength * damped, std::int64_t{unit} * weight_units * damped_of)
              : rounded_quotient(accumulated * strength, std::int64_t{unit} * weight_units);
}

inline int clamp_level(int v) { return std::min(255, std::max(0, v)); }

// The nearest entry under palette_distance (pixels.hpp), as the backends map:
// a fully opaque colour among the opaque entries when there are any, a fully
// transparent one among the transparent entries; everything else among all.
// Each subset keeps the palette's order, so ties still go to the lowest index.
class class_nearest {
 public:
  class_nearest(const packed_rgba* palette, int count) : all_(palette, count) {
    for (int j = 0; j < count; ++j) {
      if (alpha_of(palette[j]) == 255) opaque_index_.push_back(static_cast<std::uint8_t>(j));
      if (alpha_of(palette[j]) == 0) transparent_index_.push_back(static_cast<std::uint8_t>(j));
    }
    opaque_ = subset(palette, opaque_index_);
    transparent_ = subset(palette, transparent_index_);
  }

  std::uint8_t find(packed_rgba colour) {
    const std::uint32_t alpha = alpha_of(colour);
    if (alpha == 255 && opaque_) return opaque_index_[opaque_->find(colour)];
    if (alpha == 0 && transparent_) return transparent_index_[transparent_->find(colour)];
    return all_.find(colour);
  }

 private:
  static std::unique_ptr<nearest_palette> subset(const packed_rgba* palette, const std::vector<std::uint8_t>& index) {
    if (index.empty()) return nullptr;
    std::vector<packed_rgba> entries;
    for (std::uint8_t j : index) entries.push_back(palette[j]);
    return std::make_unique<nearest_palette>(entries.data(), static_cast<int>(entries.size()));
  }

  nearest_palette all_;
  std::vector<std::uint8_t> opaque_index_, transparent_index_;
  std::unique_ptr<nearest_palette> opaque_, transparent_;
};

}  // namespace

// Built for two instruction sets, as the CPU backend's loops (cpu_assign.cpp):
// the search compares eight entries per operation, which AVX2 multiplies in
// one instruction. Integer arithmetic: both clones give the same labels.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void floyd_steinberg(const image_view& image, const packed_rgba* palette, int count, bool premultiplied,
                     double palette_mse, std::uint8_t* labels) {
  // The squared offset length above which an offset is damped: twice the
  // undithered mapping's error of a pixel over three channels. An integer
  // length exceeds 6 x mse exactly when it exceeds the floor of it.
  const std::int64_t damp_above = static_cast<std::int64_t>(std::floor(6.0 * std::max(palette_mse, 0.0)));
  // Premultiplied: the nearest entry as the colours show, like the backends'
  // mapping of that image (premultiplying keeps alpha, so the classes hold).
  std::vector<packed_rgba> searched(palette, palette + count);
  if (premultiplied) std::transform(searched.begin(), searched.end(), searched.begin(), premultiply);
  const auto shown = [premultiplied](packed_rgba colour) { return premultiplied ? premultiply(colour) : colour; };
  class_nearest nearest(searched.data(), count);
  constexpr int diffused = 3;  // R, G, B: alpha is never diffused
  const std::size_t width = image.width;
  // Accumulated error per colour channel for this row and the next, with one
  // slot of padding on each side that catches the shares leaving the image.
  std::vector<int> this_row((width + 2) * diffused, 0), next_row((width + 2) * diffused, 0);
  for (std::uint32_t y = 0; y < image.height; ++y) {
    std::fill(next_row.begin(), next_row.end(), 0);
    const packed_rgba* row = image.row(y);
    std::uint8_t* out = labels + static_cast<std::size_t>(y) * width;
    const bool backwards = (y & 1u) != 0;
    const std::ptrdiff_t step = backwards ? -diffused : diffused;
    for (std::size_t i = 0; i < width; ++i) {
      const std::size_t x = backwards ? width - 1 - i : i;
      const packed_rgba pixel = row[x];
      const std::uint32_t alpha = alpha_of(pixel);
      if (alpha == 0) {  // as without dithering; takes and gives nothing
        out[x] = nearest.find(shown(pixel));
        continue;
      }
      int* here = &this_row[(x + 1) * diffused];
      int offset[diffused];
      std::int64_t length = 0;
      for (int c = 0; c < diffused; ++c) {
        offset[c] = offset_levels(here[c], false);
        length += std::int64_t{offset[c]} * offset[c];
      }
      if (length > damp_above) {
        for (int c = 0; c < diffused; ++c) offset[c] = offset_levels(here[c], true);
      }
      int wanted[diffused];
      for (int c = 0; c < diffused; ++c) wanted[c] = clamp_level(static_cast<int>(channel_of(pixel, c)) + offset[c]);
      const std::uint8_t index = nearest.find(shown(pack_rgba(static_cast<std::uint32_t>(wanted[0]),
                                                              static_cast<std::uint32_t>(wanted[1]),
                                                              static_cast<std::uint32_t>(wanted[2]), alpha)));
      out[x] = index;
      const packed_rgba chosen = palette[index];
      int error[diffused];
      for (int c = 0; c < diffused; ++c) {
        error[c] = (wanted[c] - static_cast<int>(channel_of(chosen, c))) * static_cast<int>(alpha);
      }
      int* ahead = here + step;
      int* below = &next_row[(x + 1) * diffused];
      int* below_behind = below - step;
      int* below_ahead = below + step;
      for (int c = 0; c < diffused; ++c) {
        ahead[c] += 7 * error[c];
        below_behind[c] += 3 * error[c];
        below[c] += 5 * error[c];
        below_ahead[c] += error[c];
      }
    }
    this_row.swap(next_row);
  }
}

}  // namespace kmq::detail
