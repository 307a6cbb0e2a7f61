// OKLab (Björn Ottosson, 2020), the perceptual space of `--space oklab`, in
// two forms: exact (double) for measuring ΔE, and fixed point, packed into
// the same 8-bit RGBA words the backends cluster, so the kernels and the
// integer sums that make CPU and GPU agree need no change.
//
// Fixed point: L, a and b are scaled by the same factor (255), so Euclidean
// distance between packed points is OKLab distance times 255 (ΔE_ok is
// isotropic); L lands in 0..255, a and b are offset by 128 (sRGB's a spans
// -0.234..0.276, b -0.312..0.199: 68..199 and 48..179 once packed). Alpha is
// carried unchanged. One step is 1/255 ≈ 0.0039 in OKLab, about a fifth of a
// just-noticeable difference (≈ 0.02).
//
// The conversion runs on the host over the distinct colours, in double with a
// fixed sequence of operations (the project compiles with
// -ffp-contract=off), and ends in rounding to integers, so every machine
// gives the same points.
#pragma once
#include <cstdint>

#include "kmq/pixels.hpp"

namespace kmq {

constexpr double oklab_scale = 255.0;   // fixed-point units per OKLab unit, all three axes
constexpr double oklab_offset = 128.0;  // added to a and b

struct oklab_color {
  double l = 0.0, a = 0.0, b = 0.0;
};

// sRGB 8-bit to linear light, 0..1 (the IEC 61966-2-1 curve, a table made once).
double srgb_to_linear(std::uint32_t value) noexcept;
// Linear light to sRGB 8-bit, clamped to 0..1 first, rounded to nearest.
std::uint32_t linear_to_srgb(double linear) noexcept;

// Exact (double) OKLab of a colour's R, G, B; alpha ignored.
oklab_color to_oklab(packed_rgba colour) noexcept;
// Distance in OKLab between the colours' R, G, B: ΔE_ok.
double delta_e_ok(packed_rgba x, packed_rgba y) noexcept;

// Exact OKLab back to sRGB (each linear channel clamped to 0..1), with this alpha.
packed_rgba from_oklab(const oklab_color& lab, std::uint32_t alpha) noexcept;

// The packed fixed-point OKLab point of an sRGB colour (alpha kept).
packed_rgba to_oklab_fixed(packed_rgba colour) noexcept;
// A fixed-point OKLab point (channels as floats, e.g. a centroid: not rounded
// first) back to sRGB, each linear channel clamped to 0..1; alpha rounded.
packed_rgba from_oklab_fixed(const float* point) noexcept;
packed_rgba from_oklab_fixed(packed_rgba point) noexcept;

}  // namespace kmq
