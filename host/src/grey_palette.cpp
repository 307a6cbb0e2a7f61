#include "grey_palette.hpp"

#include <algorithm>
#include <limits>

#include "kmq/error.hpp"
#include "rounding.hpp"

namespace kmq::detail {

bool all_opaque_grey(const std::vector<packed_rgba>& colors) {
  return !colors.empty() && std::all_of(colors.begin(), colors.end(), [](packed_rgba c) {
           return alpha_of(c) == 255 && channel_of(c, 0) == channel_of(c, 1) && channel_of(c, 1) == channel_of(c, 2);
         });
}

namespace {

// Prefix sums over the levels: pixels, pixels x level, pixels x level^2.
// With at most 2^32 pixels the last stays under 2^48.
struct level_sums {
  std::vector<std::uint64_t> weight, sum, square;

  level_sums(const std::vector<std::uint8_t>& levels, const std::vector<std::uint64_t>& counts)
      : weight(levels.size() + 1, 0), sum(levels.size() + 1, 0), square(levels.size() + 1, 0) {
    for (std::size_t i = 0; i < levels.size(); ++i) {
      const std::uint64_t v = levels[i];
      weight[i + 1] = weight[i] + counts[i];
      sum[i + 1] = sum[i] + counts[i] * v;
      square[i + 1] = square[i] + counts[i] * v * v;
    }
  }

  // The level nearest the mean of levels [begin, end): round(sum / weight),
  // halves up, in integers.
  std::uint64_t centre(std::size_t begin, std::size_t end) const {
    const std::uint64_t w = weight[end] - weight[begin], s = sum[end] - sum[begin];
    return rounded_mean(s, w);
  }

  // The squared error of levels [begin, end) against that level:
  // square - 2 c sum + c^2 weight, never negative.
  std::uint64_t cost(std::size_t begin, std::size_t end) const {
    const std::uint64_t w = weight[end] - weight[begin], s = sum[end] - sum[begin], q = square[end] - square[begin];
    const std::uint64_t c = centre(begin, end);
    return q + c * c * w - 2 * c * s;
  }
};

}  // namespace

std::vector<std::uint8_t> optimal_grey_levels(const std::vector<std::uint8_t>& levels,
                                              const std::vector<std::uint64_t>& counts, int k) {
  const std::size_t n = levels.size();
  if (n == 0 || counts.size() != n || k < 1) throw error(error_kind::internal, "optimal_grey_levels: bad input");
  // A run of no pixels has no mean; unsorted levels are not runs.
  for (std::size_t i = 0; i < n; ++i) {
    if (counts[i] == 0 || (i > 0 && levels[i] <= levels[i - 1])) {
      throw error(error_kind::internal, "optimal_grey_levels: levels must ascend, each with pixels");
    }
  }
  if (static_cast<std::size_t>(k) >= n) return levels;
  const level_sums sums(levels, counts);
  const std::size_t runs = static_cast<std::size_t>(k);
  constexpr std::uint64_t none = std::numeric_limits<std::uint64_t>::max();
  // best[r][j]: least error of the first j levels cut into r runs; cut[r][j]:
  // where the last of those runs begins.
  std::vector<std::vector<std::uint64_t>> best(runs + 1, std::vector<std::uint64_t>(n + 1, none));
  std::vector<std::vector<std::uint32_t>> cut(runs + 1, std::vector<std::uint32_t>(n + 1, 0));
  best[0][0] = 0;
  for (std::size_t r = 1; r <= runs; ++r) {
    // r runs need at least r levels; the first j levels leave n - j for the rest.
    for (std::size_t j = r; j + (runs - r) <= n; ++j) {
      for (std::size_t i = r - 1; i < j; ++i) {
        if (best[r - 1][i] == none) continue;
        const std::uint64_t total = best[r - 1][i] + sums.cost(i, j);
        if (total < best[r][j]) {
          best[r][j] = total;
          cut[r][j] = static_cast<std::uint32_t>(i);
        }
      }
    }
  }
  std::vector<std::uint8_t> out(runs);
  for (std::size_t r = runs, end = n; r > 0; --r) {
    const std::size_t begin = cut[r][end];
    out[r - 1] = static_cast<std::uint8_t>(sums.centre(begin, end));
    end = begin;
  }
  return out;
}

std::vector<packed_rgba> optimal_grey_palette(const std::vector<packed_rgba>& colors,
                                              const std::vector<std::uint32_t>& counts, int k) {
  std::vector<std::uint8_t> levels;
  std::vector<std::uint64_t> level_counts;
  // Sorted by key, opaque grey colours ascend by level; equal levels are one colour.
  for (std::size_t i = 0; i < colors.size(); ++i) {
    levels.push_back(static_cast<std::uint8_t>(channel_of(colors[i], 0)));
    level_counts.push_back(counts[i]);
  }
  // The levels ascend strictly (each run's rounded mean lies within it), so
  // the entries come sorted by key and distinct, as every palette here.
  std::vector<packed_rgba> palette;
  for (std::uint8_t v : optimal_grey_levels(levels, level_counts, k)) palette.push_back(pack_rgba(v, v, v, 255));
  return palette;
}

}  // namespace kmq::detail
