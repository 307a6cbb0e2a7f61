// The candidates' means and weights side by side (join_filter.hpp).
#include "join_filter.hpp"

namespace kmq::detail {

join_filter::join_filter(const partition& sums, const std::vector<std::uint32_t>& near, int count)
    : count_(count), padded_((count + 3) / 4 * 4), row_size_(static_cast<std::size_t>(channels) * padded_), near_(near) {
  const std::size_t k = static_cast<std::size_t>(sums.k());
  // Lanes past count, and the cluster itself where it fills a row, get a mean
  // far outside the colour cube (weight 1): they almost never pass, and one
  // that does only sends its point to the exact scan, which skips them.
  mean_.assign(k * row_size_, 1e10f);
  weight_.assign(k * static_cast<std::size_t>(padded_), 1.0f);
  own_mean_.resize(k * channels);
  for (std::size_t j = 0; j < k; ++j) fill_own(sums, static_cast<std::uint32_t>(j));
  slots_of_.assign(k, {});
  for (std::size_t slot = 0; slot < k * static_cast<std::size_t>(count_); ++slot) {
    slots_of_[near_[slot]].push_back(slot);
    fill(sums, slot);
  }
}

void join_filter::fill(const partition& sums, std::size_t slot) {
  const std::size_t owner = slot / static_cast<std::size_t>(count_);
  const std::size_t lane = slot % static_cast<std::size_t>(count_);
  const std::uint32_t j = near_[slot];
  if (j == owner) return;
  float* row = &mean_[owner * row_size_];
  for (int c = 0; c < channels; ++c) row[static_cast<std::size_t>(c) * padded_ + lane] = static_cast<float>(sums.mean[std::size_t{j} * channels + c]);
  weight_[owner * static_cast<std::size_t>(padded_) + lane] = static_cast<float>(sums.weight[j]);
}

void join_filter::fill_own(const partition& sums, std::uint32_t j) {
  for (int c = 0; c < channels; ++c) own_mean_[std::size_t{j} * channels + c] = static_cast<float>(sums.mean[std::size_t{j} * channels + c]);
}

void join_filter::refresh(const partition& sums, std::uint32_t a, std::uint32_t b) {
  fill_own(sums, a);
  fill_own(sums, b);
  for (std::size_t slot : slots_of_[a]) fill(sums, slot);
  for (std::size_t slot : slots_of_[b]) fill(sums, slot);
}

}  // namespace kmq::detail
