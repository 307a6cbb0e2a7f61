// The nearest palette entry of an arbitrary colour, exactly as the backends
// define it (assign_to_palette): the least integer squared distance over the
// four channels (squared_distance), ties to the lowest index. Dithering asks
// this for every pixel of an image, in scan order, with colours that are not
// in the image (pixel plus diffused error), so the backends' per-colour labels
// cannot answer it, and a scan of up to 256 entries per pixel is too slow.
//
// The search: RGBA space is cut into 16^4 cells of 16 levels per channel.
// The first query that falls into a cell lists, once, the entries that can be
// nearest to ANY colour of the cell: U = the least, over entries, of the
// largest squared distance from the entry to the cell's box bounds every
// query's nearest distance, so an entry whose smallest squared distance to
// the box exceeds U can never win nor tie, and every other entry is listed
// (in index order, eight to a block). A query then scans only its cell's
// list, eight entries per vector operation, and keeps the least key
// distance * 256 + index: the least distance, ties to the lowest index. The
// answer is the brute-force one, bit for bit, whatever order the cells were
// filled in. The last query and its answer are remembered (flat areas ask
// the same colour again and again). All of it is integer arithmetic; nothing
// depends on threads, the machine, the instruction set or the query order.
//
// Palettes of up to 24 entries skip the cells: a scan of all of them (three
// blocks at most, always in L1) is as fast as a cell's list.
//
// Cost (bench/bench_dither.cpp, 3840x2160 gradient with noise, one thread of
// a busy 2-core machine): the whole dithered remap takes about 0.19 s at
// K = 16 and 0.25 s at K = 256, where a cell lists 31 entries on average.
// Cells of 8 levels list fewer (16) but cost more to build than they save.
// The worst case is uniformly random RGBA noise: every one of the 65536
// cells is built and each query lands in a different one (1.5 s at K = 256).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

class nearest_palette {
 public:
  // count: 1..max_colors entries (duplicates allowed: the lowest index wins).
  nearest_palette(const packed_rgba* palette, int count);

  int size() const { return static_cast<int>(palette_.size()); }

  // The index of the nearest entry to colour. Not const: it fills the cell
  // lists it needs on first use (one object per thread, if ever shared).
  std::uint8_t find(packed_rgba colour) {
    if (colour == last_colour_) return last_index_;
    const cell_list* list = &whole_;
    if (whole_.blocks == 0) {
      const std::uint32_t cell = cell_of(colour);
      if (cells_[cell].blocks == 0) build_cell(cell);
      list = &cells_[cell];
    }
    // Each lane keeps the least key = distance * 256 + index of its entries:
    // the least key overall is the least distance, ties to the least index.
    const lanes r = lanes{} + static_cast<std::int32_t>(channel_of(colour, 0));
    const lanes g = lanes{} + static_cast<std::int32_t>(channel_of(colour, 1));
    const lanes b = lanes{} + static_cast<std::int32_t>(channel_of(colour, 2));
    const lanes a = lanes{} + static_cast<std::int32_t>(channel_of(colour, 3));
    const block* blocks = pool_.data() + list->start;
    lanes best = lanes{} + std::numeric_limits<std::int32_t>::max();
    for (std::uint32_t i = 0; i < list->blocks; ++i) {
      const block& k = blocks[i];
      const lanes dr = r - k.r, dg = g - k.g, db = b - k.b, da = a - k.a;
      const lanes key = (((dr * dr + dg * dg) + (db * db + da * da)) << 8) | k.index;
      best = key < best ? key : best;
    }
    // Halving: the two halves' lane-wise minimum, then four lanes.
    half_lanes low, high;
    std::memcpy(&low, &best, sizeof low);
    std::memcpy(&high, reinterpret_cast<const char*>(&best) + sizeof low, sizeof high);
    low = high < low ? high : low;
    std::int32_t least = low[0];
    for (int lane = 1; lane < block_lanes / 2; ++lane) least = low[lane] < least ? low[lane] : least;
    last_colour_ = colour;
    last_index_ = static_cast<std::uint8_t>(least & 0xff);
    return last_index_;
  }

  // The definition: every entry scanned, ties to the lowest index.
  static std::uint8_t brute_force(const packed_rgba* palette, int count, packed_rgba colour);

  // Cells whose list has been built, and the entries listed in them (for
  // benchmarks and tests).
  std::size_t cells_built() const { return cells_built_; }
  std::size_t candidates_listed() const { return candidates_listed_; }

 private:
  // Cells: the top colour_bits of R, G and B and the top alpha_bits of A.
  static constexpr int colour_bits = 4;
  static constexpr int alpha_bits = 4;
  static constexpr int cell_bits[channels] = {colour_bits, colour_bits, colour_bits, alpha_bits};
  static constexpr std::uint32_t cell_count = 1u << (3 * colour_bits + alpha_bits);
  static constexpr int block_lanes = 8;
  // Up to this many entries, a scan of them all (a few blocks, in L1) beats
  // cells, whose lists are scattered over memory when queries jump around.
  static constexpr int whole_palette_limit = 24;

  // GCC/Clang vector extensions: eight entries per operation, lowered to
  // what the instruction set has. All integer: every lowering is exact.
  typedef std::int32_t lanes __attribute__((vector_size(4 * block_lanes)));
  typedef std::int32_t half_lanes __attribute__((vector_size(2 * block_lanes)));

  // Up to eight candidates of one cell, by channel; short blocks repeat
  // their last entry (a repeated key changes no minimum). Aligned for the
  // widest clone: without AVX, GCC aligns a 32-byte vector to 16 only, and
  // the AVX2 clone of the caller loads it with aligned instructions.
  struct alignas(32) block {
    lanes r, g, b, a;
    lanes index;
  };
  struct cell_list {
    std::uint32_t start = 0;
    std::uint32_t blocks = 0;  // 0: not built yet (a built list holds at least one entry)
  };

  static std::uint32_t cell_of(packed_rgba colour) {
    constexpr int drop = 8 - colour_bits;
    constexpr std::uint32_t mask = (1u << colour_bits) - 1;
    return ((colour >> drop) & mask) | (((colour >> (8 + drop)) & mask) << colour_bits) |
           (((colour >> (16 + drop)) & mask) << (2 * colour_bits)) | ((colour >> (32 - alpha_bits)) << (3 * colour_bits));
  }
  void build_cell(std::uint32_t cell);
  void append_blocks(const std::vector<std::uint32_t>& entries, cell_list& list);

  std::vector<packed_rgba> palette_;
  std::vector<cell_list> cells_;   // empty when whole_ answers every query
  cell_list whole_;                // small palettes: every entry, no cells
  std::vector<block> pool_;
  std::vector<std::uint32_t> listed_;  // build_cell's scratch
  std::size_t cells_built_ = 0;
  std::size_t candidates_listed_ = 0;
  packed_rgba last_colour_ = 0;  // the last query and its answer (set by the constructor)
  std::uint8_t last_index_ = 0;
};

}  // namespace kmq::detail
