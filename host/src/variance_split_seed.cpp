#include "variance_split_seed.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include "kmq/error.hpp"
#include "rounding.hpp"

namespace kmq::detail {
namespace {

__extension__ typedef unsigned __int128 wide;  // GCC and Clang; -Wpedantic knows it is not ISO
__extension__ typedef __int128 signed_wide;

// Pixel count and per-channel sums of a set of colours: exact in 64 bits up
// to 2^56 pixels (x 255 per sum), far past any image kmq reads (2^32).
struct moments {
  std::uint64_t weight = 0;
  std::array<std::uint64_t, channels> sum{};

  void add(const moments& other) {
    weight += other.weight;
    for (int c = 0; c < channels; ++c) sum[c] += other.sum[c];
  }
  moments minus(const moments& other) const {
    moments rest = *this;
    rest.weight -= other.weight;
    for (int c = 0; c < channels; ++c) rest.sum[c] -= other.sum[c];
    return rest;
  }
};

// How much cutting a set into `left` and the rest lowers its squared error:
// n_L n_R / n |mean_L - mean_R|^2 = |n_R S_L - n_L S_R|^2 / (n_L n_R n). The
// differences are exact in 128 bits (2^36 x 2^44 at most), so the gain is
// never a small difference of large doubles: always > 0 when the two sides'
// means differ, however many pixels there are.
double cut_gain(const moments& whole, const moments& left) {
  const moments right = whole.minus(left);
  double squared = 0.0;
  for (int c = 0; c < channels; ++c) {
    const signed_wide d = static_cast<signed_wide>(static_cast<wide>(right.weight) * left.sum[c]) -
                          static_cast<signed_wide>(static_cast<wide>(left.weight) * right.sum[c]);
    const double dd = static_cast<double>(d);
    squared += dd * dd;
  }
  return squared / (static_cast<double>(left.weight) * static_cast<double>(right.weight) *
                    static_cast<double>(whole.weight));
}

struct box {
  std::size_t begin = 0, end = 0;  // a range of the ordered colours
  moments all;
  // The best cut: colours whose `channel` is at most `value` go left.
  int channel = -1;
  int value = 0;
  double gain = 0.0;  // how much the cut lowers the squared error; 0 when none can
};

class splitter {
 public:
  splitter(const std::vector<packed_rgba>& colors, const std::vector<std::uint64_t>& weights)
      : colors_(colors), single_(colors.size()), order_(colors.size()) {
    for (std::size_t i = 0; i < colors.size(); ++i) {
      order_[i] = static_cast<std::uint32_t>(i);
      single_[i].weight = weights[i];
      for (int c = 0; c < channels; ++c) single_[i].sum[c] = weights[i] * channel_of(colors[i], c);
    }
  }

  box whole() {
    box b;
    b.end = colors_.size();
    for (const moments& m : single_) b.all.add(m);
    find_best_cut(b);
    return b;
  }

  // Splits `parent` at its best cut into itself (the left side) and the
  // returned right side, each with its own best cut.
  box split(box& parent) {
    const int channel = parent.channel, value = parent.value;
    const auto first = order_.begin() + static_cast<std::ptrdiff_t>(parent.begin);
    const auto middle = std::stable_partition(first, order_.begin() + static_cast<std::ptrdiff_t>(parent.end),
                                              [&](std::uint32_t i) {
                                                return static_cast<int>(channel_of(colors_[i], channel)) <= value;
                                              });
    box left, right;
    left.begin = parent.begin;
    left.end = static_cast<std::size_t>(middle - order_.begin());
    right.begin = left.end;
    right.end = parent.end;
    for (std::size_t i = left.begin; i < left.end; ++i) left.all.add(single_[order_[i]]);
    right.all = parent.all.minus(left.all);
    find_best_cut(left);
    find_best_cut(right);
    parent = left;
    return right;
  }

 private:
  void find_best_cut(box& b) {
    b.channel = -1;
    b.gain = 0.0;
    for (auto& histogram : by_value_) histogram.fill(moments{});
    for (std::size_t i = b.begin; i < b.end; ++i) {
      const std::uint32_t at = order_[i];
      for (int c = 0; c < channels; ++c) by_value_[c][channel_of(colors_[at], c)].add(single_[at]);
    }
    for (int c = 0; c < channels; ++c) {
      moments left;
      for (int v = 0; v < 255; ++v) {
        if (by_value_[c][v].weight == 0) continue;
        left.add(by_value_[c][v]);
        if (left.weight == b.all.weight) break;
        const double gain = cut_gain(b.all, left);
        if (gain > b.gain) {
          b.gain = gain;
          b.channel = c;
          b.value = v;
        }
      }
    }
  }

  const std::vector<packed_rgba>& colors_;
  std::vector<moments> single_;  // each colour's weight and weighted channels
  std::vector<std::uint32_t> order_;
  std::array<std::array<moments, 256>, channels> by_value_;
};

packed_rgba rounded_centre(const moments& m) {
  std::array<std::uint32_t, channels> mean{};
  for (int c = 0; c < channels; ++c) mean[c] = static_cast<std::uint32_t>(rounded_mean(m.sum[c], m.weight));
  return pack_rgba(mean[0], mean[1], mean[2], mean[3]);
}

}  // namespace

std::vector<packed_rgba> variance_split_centres(const std::vector<packed_rgba>& colors,
                                                const std::vector<std::uint64_t>& weights, int k) {
  if (k < 1 || static_cast<std::size_t>(k) > colors.size() || weights.size() != colors.size()) {
    throw error(error_kind::invalid_argument, "variance split needs 1 <= k <= distinct colours");
  }
  auto cutting = std::make_unique<splitter>(colors, weights);  // 40 kB of histograms: not on the stack
  std::vector<box> boxes{cutting->whole()};
  while (boxes.size() < static_cast<std::size_t>(k)) {
    std::size_t pick = 0;
    for (std::size_t b = 1; b < boxes.size(); ++b) {
      if (boxes[b].gain > boxes[pick].gain) pick = b;
    }
    // A box of two or more colours always has a cut of positive gain, and
    // k <= colors.size() leaves one while there are fewer than k boxes.
    if (boxes[pick].channel < 0) throw error(error_kind::internal, "variance split: no box left to cut");
    boxes.push_back(cutting->split(boxes[pick]));
  }
  std::vector<packed_rgba> centres;
  centres.reserve(boxes.size());
  for (const box& b : boxes) centres.push_back(rounded_centre(b.all));
  return centres;
}

}  // namespace kmq::detail
