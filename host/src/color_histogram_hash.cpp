#include "color_histogram_hash.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace kmq::detail {
namespace {

// Why a hash and not a sort of every pixel: a photo under a megapixel has
// about half as many distinct colours as pixels, and the radix sort of
// (colour, pixel) pairs took three or four scatter passes and 16 bytes a
// pixel of fresh memory, whose page faults cost more than the passes on a VM
// (bench/NOTES.md, "The histogram"). Here each pixel is looked up once in an
// open-addressing table of colours (4 bytes an entry, linear probing), only
// the distinct colours are sorted, and the table then turns each pixel's
// entry into its colour's rank in place. The only memory besides the result
// is the table (4/3 to 8/3 of the pixels' 4 bytes; grown twice as large
// whenever 3/4 full, past a megapixel): a third of the sort's. Colours
// crafted to crowd the table go to a plain sort instead (find_slots()).

// Every 32-bit key is a possible colour, so "empty" is one key picked as
// unlikely in images (not transparent black, which collapse_transparent()
// makes common); pixels of that colour point one past the table instead.
constexpr packed_rgba empty_key = 0x5ae1ed0du;

class color_table {
 public:
  // Room for `capacity` entries (a power of two); at most 3/4 of them used.
  explicit color_table(std::size_t capacity) {
    resize(capacity);
    keys_.reserve(max_colors());
  }

  std::size_t max_colors() const { return mask_ + 1 - (mask_ + 1) / 4; }
  std::size_t empty_key_slot() const { return mask_ + 1; }

  // Asks the cache for the key's first entry ahead of its lookup: the table
  // is larger than L1 and lookups are random, so misses must overlap.
  void prefetch(packed_rgba key) const { __builtin_prefetch(&slots_[home(key)]); }

  // The key's entry, added if new; capacity() + 1 when the table is full.
  std::size_t slot_of(packed_rgba key) {
    if (key == empty_key) {
      if (!has_empty_key_) keys_.push_back(key);
      has_empty_key_ = true;
      return empty_key_slot();
    }
    std::size_t at = home(key);
    for (; slots_[at] != key; at = (at + 1) & mask_, ++probes_) {
      if (slots_[at] == empty_key) {
        if (keys_.size() - has_empty_key_ == max_colors()) return slots_.size();
        slots_[at] = key;
        keys_.push_back(key);
        break;
      }
    }
    return at;
  }

  std::size_t capacity() const { return mask_ + 1; }
  // Steps past a key's home entry so far, growths included.
  std::size_t probes() const { return probes_; }

  // Twice the entries, the same colours: each entry of the old table becomes
  // its colour's new entry, and the `seen` pixels' entries are renumbered
  // through it (cheaper than looking those pixels up again).
  void grow(std::uint32_t* ids, std::size_t seen) {
    std::vector<std::uint32_t> old = std::move(slots_);
    const std::size_t old_capacity = capacity();
    resize(2 * old_capacity);
    for (std::size_t s = 0; s < old_capacity; ++s) {
      if (old[s] == empty_key) continue;
      std::size_t at = home(old[s]);
      for (; slots_[at] != empty_key; at = (at + 1) & mask_) ++probes_;
      slots_[at] = old[s];
      old[s] = static_cast<std::uint32_t>(at);
    }
    old[old_capacity] = static_cast<std::uint32_t>(empty_key_slot());
    for (std::size_t i = 0; i < seen; ++i) ids[i] = old[ids[i]];
  }

  // The distinct colours in first-seen order.
  std::vector<packed_rgba>& keys() { return keys_; }
  std::vector<std::uint32_t>& slots() { return slots_; }

 private:
  std::size_t home(packed_rgba key) const {
    // Fibonacci hashing: the product's top bits depend on every bit of the key.
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ull) >> shift_);
  }

  void resize(std::size_t capacity) {
    slots_.assign(capacity + 1, empty_key);
    mask_ = capacity - 1;
    shift_ = 64;
    for (std::size_t s = capacity; s > 1; s /= 2) --shift_;
  }

  std::vector<std::uint32_t> slots_;  // a key each, empty_key where none; the last: empty_key's own
  std::vector<packed_rgba> keys_;
  std::size_t mask_ = 0;
  int shift_ = 64;
  bool has_empty_key_ = false;
  std::size_t probes_ = 0;
};

constexpr std::size_t prefetch_distance = 16;

// Entries are numbered in 32 bits, one past the table included.
constexpr std::size_t max_capacity = std::size_t{1} << 31;

// Each pixel's entry into ids, the table grown whenever it is 3/4 full; false
// if it would have to grow past max_capacity, or if the lookups take far more
// steps than any hash of real colours does (at most 3/4 full, a lookup steps
// past its home ~1.5 times on average, a new colour ~8): colours picked so
// that their homes crowd together would make linear probing quadratic, 30 s
// for a crafted 512x512 image, where the sort takes 30 ms.
bool find_slots(const packed_rgba* pixels, std::size_t count, color_table& table, std::uint32_t* ids) {
  const std::size_t probe_budget = 16 * count + (std::size_t{1} << 16);
  // Neighbours often share a colour: skip the lookup then.
  packed_rgba last_key = ~pixels[0];
  std::size_t last_slot = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (i + prefetch_distance < count) table.prefetch(pixels[i + prefetch_distance]);
    if (pixels[i] != last_key) {
      last_key = pixels[i];
      last_slot = table.slot_of(last_key);
      if (last_slot == table.capacity() + 1) {
        if (table.capacity() == max_capacity) return false;
        table.grow(ids, i);
        last_slot = table.slot_of(last_key);
      }
      if (table.probes() > probe_budget) return false;
    }
    ids[i] = static_cast<std::uint32_t>(last_slot);
  }
  return true;
}

// LSD radix sort of distinct keys, a byte at a time, skipping bytes that are
// the same in every key (an opaque image's alpha); `swap` is scratch.
void sort_keys(std::vector<packed_rgba>& keys, std::vector<packed_rgba>& swap) {
  std::array<std::array<std::uint32_t, 256>, 4> counts{};
  for (packed_rgba key : keys) {
    for (int b = 0; b < 4; ++b) ++counts[b][(key >> (8 * b)) & 0xffu];
  }
  for (int b = 0; b < 4; ++b) {
    std::array<std::uint32_t, 256>& offsets = counts[b];
    if (std::find(offsets.begin(), offsets.end(), keys.size()) != offsets.end()) continue;
    std::uint32_t total = 0;
    for (std::uint32_t& o : offsets) {
      const std::uint32_t n = o;
      o = total;
      total += n;
    }
    for (packed_rgba key : keys) swap[offsets[(key >> (8 * b)) & 0xffu]++] = key;
    keys.swap(swap);
  }
}

}  // namespace

color_histogram histogram_by_sort(const packed_rgba* pixels, std::size_t count) {
  std::vector<std::uint64_t> pairs(count);  // colour above, pixel below: sorted by colour, then pixel
  for (std::size_t i = 0; i < count; ++i) pairs[i] = std::uint64_t{pixels[i]} << 32 | i;
  std::sort(pairs.begin(), pairs.end());
  color_histogram histogram;
  histogram.pixel_to_color.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto key = static_cast<packed_rgba>(pairs[i] >> 32);
    if (i == 0 || key != histogram.colors.back()) {
      histogram.colors.push_back(key);
      histogram.counts.push_back(0);
    }
    ++histogram.counts.back();
    histogram.pixel_to_color[pairs[i] & 0xffffffffu] = static_cast<std::uint32_t>(histogram.colors.size() - 1);
  }
  return histogram;
}

color_histogram histogram_by_hash(const packed_rgba* pixels, std::size_t count, hash_stats* stats) {
  color_histogram histogram;
  if (count == 0) return histogram;
  histogram.pixel_to_color.resize(count);
  std::uint32_t* ids = histogram.pixel_to_color.data();
  // 4/3 of the pixels (rounded up to a power of two) never fills; from
  // 2^20 entries on, the table starts there and grows with the colours.
  std::size_t capacity = 64;
  while (capacity < count + count / 3 && capacity < (std::size_t{1} << 20)) capacity *= 2;
  color_table table(capacity);
  const bool found = find_slots(pixels, count, table, ids);
  if (stats != nullptr) *stats = {table.probes(), !found};
  if (!found) {
    histogram.pixel_to_color = {};
    return histogram_by_sort(pixels, count);
  }

  std::vector<packed_rgba> keys = std::move(table.keys());
  const std::size_t distinct = keys.size();
  // The counts' array is scratch until the counting: first for the sort,
  // then for each rank's entry (found while the keys are still in the table,
  // before the ranks are written into those entries).
  std::vector<std::uint32_t>& scratch = histogram.counts;
  scratch.resize(distinct);
  sort_keys(keys, scratch);
  std::vector<std::uint32_t>& slots = table.slots();
  for (std::size_t rank = 0; rank < distinct; ++rank) {
    if (rank + prefetch_distance < distinct) table.prefetch(keys[rank + prefetch_distance]);
    scratch[rank] = static_cast<std::uint32_t>(table.slot_of(keys[rank]));
  }
  for (std::size_t rank = 0; rank < distinct; ++rank) slots[scratch[rank]] = static_cast<std::uint32_t>(rank);
  std::fill(scratch.begin(), scratch.end(), 0u);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t rank = slots[ids[i]];
    ids[i] = rank;
    ++histogram.counts[rank];
  }
  histogram.colors = std::move(keys);
  return histogram;
}

}  // namespace kmq::detail
