#include "entry_neighbours.hpp"

#include <algorithm>

namespace kmq::detail {

entry_neighbour_table::entry_neighbour_table(int count) : count_(std::max(count, 0)) {}

// Row a from scratch: the distances from channel planes (a loop the compiler
// vectorizes), then the best `count` by sorted insertion. b rises, so a tie
// never displaces a kept entry, as in a sort by (distance, index).
void entry_neighbour_table::fill_row(std::size_t a) {
  const std::size_t n = entries_.size(), want = static_cast<std::size_t>(count_), row = want + 1;
  std::fill(row_distance_.begin(), row_distance_.end(), 0u);
  for (int c = 0; c < channels; ++c) {
    const std::int32_t* plane = planes_.data() + static_cast<std::size_t>(c) * n;
    const std::int32_t own = plane[a];
    for (std::size_t b = 0; b < n; ++b) row_distance_[b] += static_cast<std::uint32_t>((plane[b] - own) * (plane[b] - own));
  }
  std::uint32_t* best_index = rows_.data() + a * row + 1;
  std::uint32_t* best_distance = distances_.data() + a * want;
  std::size_t kept = 0;
  for (std::size_t b = 0; b < n; ++b) {
    const std::uint32_t d = row_distance_[b];
    if (b == a || (kept == want && (want == 0 || d >= best_distance[want - 1]))) continue;
    std::size_t at = kept < want ? kept++ : want - 1;
    for (; at > 0 && best_distance[at - 1] > d; --at) {
      best_distance[at] = best_distance[at - 1];
      best_index[at] = best_index[at - 1];
    }
    best_distance[at] = d;
    best_index[at] = static_cast<std::uint32_t>(b);
  }
  kept_[a] = static_cast<std::uint32_t>(kept);
  rows_[a * row] = static_cast<std::uint32_t>(a);
  for (std::size_t i = kept; i < want; ++i) best_index[i] = static_cast<std::uint32_t>(a);
}

// A moved entry into a full row none of whose entries moved: it goes in
// only ahead of the last, by (distance, index), pushing the last out.
// Returns whether it went in.
bool entry_neighbour_table::insert(std::size_t a, std::uint32_t distance, std::uint32_t index) {
  const std::size_t want = static_cast<std::size_t>(count_), row = want + 1;
  std::uint32_t* best_index = rows_.data() + a * row + 1;
  std::uint32_t* best_distance = distances_.data() + a * want;
  const auto ahead = [&](std::size_t i) {
    return distance < best_distance[i] || (distance == best_distance[i] && index < best_index[i]);
  };
  if (want == 0 || !ahead(want - 1)) return false;
  std::size_t at = want - 1;
  for (; at > 0 && ahead(at - 1); --at) {
    best_distance[at] = best_distance[at - 1];
    best_index[at] = best_index[at - 1];
  }
  best_distance[at] = distance;
  best_index[at] = index;
  return true;
}

const std::vector<std::uint32_t>& entry_neighbour_table::rows_for(const std::vector<packed_rgba>& entries) {
  const std::size_t n = entries.size(), want = static_cast<std::size_t>(count_), row = want + 1;
  const bool fresh = entries_.size() != n;
  moved_.assign(n, 0);
  std::vector<std::uint32_t> moved_list;
  for (std::size_t b = 0; b < n; ++b) {
    if (fresh || entries_[b] != entries[b]) {
      moved_[b] = 1;
      moved_list.push_back(static_cast<std::uint32_t>(b));
    }
  }
  touched_.assign(n, 0);
  if (!fresh && moved_list.empty()) return rows_;
  entries_ = entries;
  planes_.resize(n * channels);
  for (std::size_t b = 0; b < n; ++b) {
    for (int c = 0; c < channels; ++c) planes_[static_cast<std::size_t>(c) * n + b] = static_cast<std::int32_t>(channel_of(entries[b], c));
  }
  row_distance_.resize(n);
  if (fresh) {
    rows_.assign(n * row, 0);
    distances_.assign(n * want, 0);
    kept_.assign(n, 0);
  }
  // Past a quarter of the entries moved, redoing every row is as cheap.
  const bool all = fresh || moved_list.size() * 4 > n;
  for (std::size_t a = 0; a < n; ++a) {
    const std::uint32_t* listed = rows_.data() + a * row + 1;
    // A row is redone when its own entry moved, when one it lists moved
    // (it may have gone farther than one it left out), or when it lists
    // every other entry (nothing to keep out). Otherwise only the moved
    // entries can enter it: the ones it left out stayed behind its last.
    bool redo = all || moved_[a] || kept_[a] < want;
    for (std::size_t i = 0; i < kept_[a] && !redo; ++i) redo = moved_[listed[i]] != 0;
    if (redo) {
      fill_row(a);
      touched_[a] = 1;
      continue;
    }
    for (std::uint32_t b : moved_list) {
      if (insert(a, squared_distance(entries[a], entries[b]), b)) touched_[a] = 1;
    }
  }
  return rows_;
}

}  // namespace kmq::detail
