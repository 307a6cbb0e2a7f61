#include "composited_error.hpp"

namespace kmq::detail {

double composited_error(const std::vector<packed_rgba>& colors, const std::vector<std::uint32_t>& counts,
                        const std::vector<std::uint32_t>& labels, const std::vector<packed_rgba>& palette) {
  __extension__ typedef unsigned __int128 wide;  // GCC and Clang; -Wpedantic knows it is not ISO
  wide shown_total = 0;
  std::uint64_t alpha_total = 0;
  for (std::size_t i = 0; i < colors.size(); ++i) {
    const packed_rgba a = colors[i], b = palette[labels[i]];
    shown_total += static_cast<wide>(composited_colour_distance(a, b)) * counts[i];
    alpha_total += alpha_distance(a, b) * counts[i];
  }
  return static_cast<double>(shown_total) / (255.0 * 255.0) + static_cast<double>(alpha_total);
}

packed_rgba one_entry_palette(const std::vector<packed_rgba>& colors, const std::vector<std::uint32_t>& counts) {
  std::uint64_t weight = 0, alpha = 0, shown[3] = {0, 0, 0};
  for (std::size_t i = 0; i < colors.size(); ++i) {
    const std::uint64_t w = counts[i], a = alpha_of(colors[i]);
    weight += w;
    alpha += w * a;
    for (int c = 0; c < 3; ++c) shown[c] += w * a * channel_of(colors[i], c);
  }
  const auto rounded = [](std::uint64_t num, std::uint64_t den) {
    return static_cast<std::uint32_t>(den == 0 ? 0 : (2 * num + den) / (2 * den));
  };
  const std::uint32_t a = rounded(alpha, weight);
  if (a == 0) return pack_rgba(0, 0, 0, 0);
  return pack_rgba(rounded(shown[0], alpha), rounded(shown[1], alpha), rounded(shown[2], alpha), a);
}

}  // namespace kmq::detail
