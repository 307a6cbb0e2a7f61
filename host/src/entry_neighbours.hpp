// The entries nearest each palette entry, as the polishing rounds under the
// alpha rule ask for them (palette_polish.cpp): every round and every swap
// trial asks again, and between two asks only a few entries move (0-5 of 256
// on an icon at K=256). So the table keeps the last answer and redoes only
// the rows a move can change. Same answer as a fresh table, always.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

class entry_neighbour_table {
 public:
  // `count`: the others listed per entry (polish_params::candidates).
  explicit entry_neighbour_table(int count);

  // Per entry a row of count + 1: the entry itself, then the `count` others
  // of least squared_distance (ties: lower index), padded with the entry
  // itself where the palette has fewer. Valid until the next call.
  const std::vector<std::uint32_t>& rows_for(const std::vector<packed_rgba>& entries);

  int count() const { return count_; }

  // Per row, after rows_for(): whether it can differ from the last call's,
  // in its list or in any listed entry's colour (itself included). A row
  // not touched lists the same entries at the same colours.
  const std::vector<char>& touched() const { return touched_; }

 private:
  void fill_row(std::size_t a);
  bool insert(std::size_t a, std::uint32_t distance, std::uint32_t index);

  int count_;
  std::vector<packed_rgba> entries_;
  std::vector<std::int32_t> planes_;       // entries_ by channel, for a row's distances at once
  std::vector<std::uint32_t> rows_;        // per entry: itself, then the kept ones
  std::vector<std::uint32_t> distances_;   // per entry: the kept ones' distances
  std::vector<std::uint32_t> kept_;        // per entry: how many others are listed
  std::vector<std::uint32_t> row_distance_;
  std::vector<char> moved_;
  std::vector<char> touched_;
};

}  // namespace kmq::detail
