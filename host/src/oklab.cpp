#include "kmq/oklab.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "rounding.hpp"

namespace kmq {
namespace {

// The sRGB decoding curve, once: 256 values computed in double.
const std::array<double, 256>& linear_table() {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> t{};
    for (int v = 0; v < 256; ++v) {
      const double s = v / 255.0;
      t[static_cast<std::size_t>(v)] = s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
    }
    return t;
  }();
  return table;
}

oklab_color from_linear(double r, double g, double b) {
  // Ottosson's M1 (linear sRGB -> LMS), cube root, M2 (LMS' -> Lab).
  const double l = 0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b;
  const double m = 0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b;
  const double s = 0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b;
  const double l_ = std::cbrt(l), m_ = std::cbrt(m), s_ = std::cbrt(s);
  oklab_color out;
  out.l = 0.2104542553 * l_ + 0.7936177850 * m_ - 0.0040720468 * s_;
  out.a = 1.9779984951 * l_ - 2.4285922050 * m_ + 0.4505937099 * s_;
  out.b = 0.0259040371 * l_ + 0.7827717662 * m_ - 0.8086757660 * s_;
  return out;
}

packed_rgba from_oklab_parts(double lab_l, double lab_a, double lab_b, std::uint32_t alpha) {
  const double l_ = lab_l + 0.3963377774 * lab_a + 0.2158037573 * lab_b;
  const double m_ = lab_l - 0.1055613458 * lab_a - 0.0638541728 * lab_b;
  const double s_ = lab_l - 0.0894841775 * lab_a - 1.2914855480 * lab_b;
  const double l = l_ * l_ * l_, m = m_ * m_ * m_, s = s_ * s_ * s_;
  const double r = 4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s;
  const double g = -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s;
  const double b = -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s;
  return pack_rgba(linear_to_srgb(r), linear_to_srgb(g), linear_to_srgb(b), alpha);
}

}  // namespace

double srgb_to_linear(std::uint32_t value) noexcept { return linear_table()[value & 0xffu]; }

std::uint32_t linear_to_srgb(double linear) noexcept {
  const double x = std::min(1.0, std::max(0.0, linear));
  const double s = x <= 0.0031308 ? 12.92 * x : 1.055 * std::pow(x, 1.0 / 2.4) - 0.055;
  return detail::rounded_byte(s * 255.0);
}

oklab_color to_oklab(packed_rgba colour) noexcept {
  return from_linear(srgb_to_linear(channel_of(colour, 0)), srgb_to_linear(channel_of(colour, 1)),
                     srgb_to_linear(channel_of(colour, 2)));
}

double delta_e_ok(packed_rgba x, packed_rgba y) noexcept {
  const oklab_color p = to_oklab(x), q = to_oklab(y);
  const double dl = p.l - q.l, da = p.a - q.a, db = p.b - q.b;
  return std::sqrt(dl * dl + da * da + db * db);
}

packed_rgba to_oklab_fixed(packed_rgba colour) noexcept {
  const oklab_color lab = to_oklab(colour);
  return pack_rgba(detail::rounded_byte(lab.l * oklab_scale), detail::rounded_byte(lab.a * oklab_scale + oklab_offset),
                   detail::rounded_byte(lab.b * oklab_scale + oklab_offset), alpha_of(colour));
}

packed_rgba from_oklab_fixed(const float* point) noexcept {
  return from_oklab_parts(static_cast<double>(point[0]) / oklab_scale,
                    (static_cast<double>(point[1]) - oklab_offset) / oklab_scale,
                    (static_cast<double>(point[2]) - oklab_offset) / oklab_scale, detail::rounded_byte(point[3]));
}

packed_rgba from_oklab(const oklab_color& lab, std::uint32_t alpha) noexcept {
  return from_oklab_parts(lab.l, lab.a, lab.b, alpha);
}

packed_rgba from_oklab_fixed(packed_rgba point) noexcept {
  const float channels_of[4] = {static_cast<float>(channel_of(point, 0)), static_cast<float>(channel_of(point, 1)),
                                static_cast<float>(channel_of(point, 2)), static_cast<float>(alpha_of(point))};
  return from_oklab_fixed(channels_of);
}

}  // namespace kmq
