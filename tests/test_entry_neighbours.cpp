// The polishing rounds' neighbour table (host/src/entry_neighbours.hpp)
// against its host reference, a full sort per entry: after every call of a
// sequence in which some entries move (none, one, a few, most, onto other
// entries' colours for exact ties), and when the palette changes size.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "entry_neighbours.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"

namespace kmq::detail {
namespace {

// The same rows without a table, the host reference: every distance, one
// sort per entry.
std::vector<std::uint32_t> entry_neighbours_reference(const std::vector<packed_rgba>& entries, int count) {
  const std::size_t n = entries.size(), want = static_cast<std::size_t>(std::max(count, 0)), row = want + 1;
  std::vector<std::uint32_t> rows(n * row);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> order;
  for (std::size_t a = 0; a < n; ++a) {
    order.clear();
    for (std::size_t b = 0; b < n; ++b) {
      if (b != a) order.emplace_back(squared_distance(entries[a], entries[b]), static_cast<std::uint32_t>(b));
    }
    std::sort(order.begin(), order.end());
    rows[a * row] = static_cast<std::uint32_t>(a);
    for (std::size_t i = 0; i < want; ++i) rows[a * row + 1 + i] = i < order.size() ? order[i].second : static_cast<std::uint32_t>(a);
  }
  return rows;
}

// A small channel range makes equal distances (ties) common.
packed_rgba random_entry(seeded_random& random, std::uint32_t range) {
  return pack_rgba(static_cast<std::uint32_t>(random.below(range)), static_cast<std::uint32_t>(random.below(range)),
                   static_cast<std::uint32_t>(random.below(range)), static_cast<std::uint32_t>(random.below(range)));
}

std::vector<packed_rgba> random_palette(std::size_t n, seeded_random& random, std::uint32_t range) {
  std::vector<packed_rgba> palette(n);
  for (auto& e : palette) e = random_entry(random, range);
  return palette;
}

// Moves `moves` entries (some onto another entry's colour, some by a step
// of one level, the rest anywhere).
void move_some(std::vector<packed_rgba>& palette, std::size_t moves, seeded_random& random, std::uint32_t range) {
  for (std::size_t m = 0; m < moves; ++m) {
    const std::size_t j = static_cast<std::size_t>(random.below(palette.size()));
    switch (random.below(3)) {
      case 0: palette[j] = palette[static_cast<std::size_t>(random.below(palette.size()))]; break;
      case 1: palette[j] ^= 1u << (8 * random.below(4)); break;
      default: palette[j] = random_entry(random, range); break;
    }
  }
}

TEST(EntryNeighbours, EveryCallOfASequenceMatchesAFullSort) {
  seeded_random random(15);
  for (const std::size_t n : {1, 2, 3, 9, 10, 17, 64, 256}) {
    for (const int count : {0, 1, 8, 15}) {
      for (const std::uint32_t range : {4u, 256u}) {
        entry_neighbour_table table(count);
        std::vector<packed_rgba> palette = random_palette(n, random, range), before;
        std::vector<std::uint32_t> rows_before;
        const std::size_t row = static_cast<std::size_t>(count) + 1;
        for (int call = 0; call < 40; ++call) {
          const std::vector<std::uint32_t> rows = table.rows_for(palette);
          ASSERT_EQ(rows, entry_neighbours_reference(palette, count))
              << "n=" << n << " count=" << count << " range=" << range << " call=" << call;
          // A row not touched lists what it listed, at the colours it had
          // (what lets the polishing rounds skip a settled colour).
          for (std::size_t a = 0; call > 0 && a < n; ++a) {
            if (table.touched()[a]) continue;
            for (std::size_t i = 0; i < row; ++i) {
              ASSERT_EQ(rows[a * row + i], rows_before[a * row + i]) << "row " << a << " call " << call;
              ASSERT_EQ(palette[rows[a * row + i]], before[rows[a * row + i]]) << "row " << a << " call " << call;
            }
          }
          before = palette;
          rows_before = rows;
          const std::size_t moves = call % 5 == 0 ? 0 : call % 7 == 0 ? n : static_cast<std::size_t>(random.below(4)) + 1;
          move_some(palette, moves, random, range);
        }
      }
    }
  }
}

TEST(EntryNeighbours, APaletteOfAnotherSizeIsTakenWhole) {
  seeded_random random(7);
  entry_neighbour_table table(8);
  for (const std::size_t n : {16, 15, 16, 256, 3, 0, 5}) {
    const std::vector<packed_rgba> palette = random_palette(n, random, 256);
    EXPECT_EQ(table.rows_for(palette), entry_neighbours_reference(palette, 8)) << "n=" << n;
  }
}

TEST(EntryNeighbours, ARowListsItselfFirstThenNearestWithTiesToTheLowerIndex) {
  // Entries 1, 2 and 3 are all at distance 1 from entry 0; 4 is farther.
  const std::vector<packed_rgba> palette = {pack_rgba(10, 10, 10, 255), pack_rgba(11, 10, 10, 255),
                                            pack_rgba(10, 9, 10, 255), pack_rgba(10, 10, 11, 255),
                                            pack_rgba(20, 10, 10, 255)};
  entry_neighbour_table table(2);
  const std::vector<std::uint32_t>& rows = table.rows_for(palette);
  EXPECT_EQ(std::vector<std::uint32_t>(rows.begin(), rows.begin() + 3), (std::vector<std::uint32_t>{0, 1, 2}));
  // A palette of two pads the row with the entry itself.
  entry_neighbour_table wide(3);
  const std::vector<packed_rgba> two = {pack_rgba(0, 0, 0, 0), pack_rgba(255, 255, 255, 255)};
  EXPECT_EQ(wide.rows_for(two), (std::vector<std::uint32_t>{0, 1, 0, 0, 1, 0, 1, 1}));
}

}  // namespace
}  // namespace kmq::detail
