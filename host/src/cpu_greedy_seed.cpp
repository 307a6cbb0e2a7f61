#include "cpu_greedy_seed.hpp"

#include <algorithm>

#include "cpu_assign.hpp"
#include "kmq/error.hpp"
#include "parallel.hpp"

namespace kmq::detail {
namespace {

// Points per block: a draw scans at most one block, and a block whose colours
// all lie farther from a new centre than their D(i) is passed over whole.
// Within a block in reach the same test runs again per part of part_points:
// the colours come in ascending packed order (by alpha, blue, green, then
// red), so a block is a slab a few blue values thick but a part a short run
// of red at one or two greens, a much smaller box.
constexpr std::size_t block_points = 1024;
constexpr std::size_t part_points = 64;
constexpr std::size_t parts_per_block = block_points / part_points;
static_assert(block_points % part_points == 0, "a block is whole parts");

// Boxes of colours (per channel lowest and highest, packed like a colour),
// each with its sum of weight * D and its largest D.
struct seeding_boxes {
  std::vector<packed_rgba> low, high;
  std::vector<std::uint64_t> sums;
  std::vector<std::uint32_t> largest;

  seeding_boxes(const greedy_seed_points& in, std::size_t points_each) {
    const std::size_t boxes = (in.count + points_each - 1) / points_each;
    low.assign(boxes, 0xffffffffu);
    high.assign(boxes, 0);
    sums.assign(boxes, 0);
    largest.assign(boxes, 0);
    for (std::size_t b = 0; b < boxes; ++b) {
      std::uint32_t lo[channels] = {255, 255, 255, 255}, hi[channels] = {0, 0, 0, 0};
      for (std::size_t i = b * points_each; i < std::min(in.count, (b + 1) * points_each); ++i) {
        for (int c = 0; c < channels; ++c) {
          lo[c] = std::min(lo[c], channel_of(in.points[i], c));
          hi[c] = std::max(hi[c], channel_of(in.points[i], c));
        }
      }
      low[b] = pack_rgba(lo[0], lo[1], lo[2], lo[3]);
      high[b] = pack_rgba(hi[0], hi[1], hi[2], hi[3]);
    }
  }

  std::size_t size() const { return sums.size(); }

  // No colour of box b is nearer to x than this (exact integers): where it
  // is at least the box's largest D, x changes no D(i) of the box.
  bool out_of_reach(std::size_t b, packed_rgba x) const {
    std::uint32_t total = 0;
    for (int c = 0; c < channels; ++c) {
      const int v = static_cast<int>(channel_of(x, c));
      const int lo = static_cast<int>(channel_of(low[b], c)), hi = static_cast<int>(channel_of(high[b], c));
      const int gap = v < lo ? lo - v : v > hi ? v - hi : 0;
      total += static_cast<std::uint32_t>(gap * gap);
    }
    return total >= largest[b];
  }
};

// What the loop keeps: the blocks and their parts, and the blocks' running
// sums for the draws.
struct seeding_blocks {
  seeding_boxes blocks, parts;
  std::vector<std::uint64_t> ends;  // running sums of the blocks' sums
  // Points the last update and the last potentials went through: late in
  // the loop the boxes pass over most blocks, and a step's work no longer
  // pays for starting a thread (parallel.hpp), so the next split is sized by it.
  std::size_t update_work, potential_work;

  seeding_blocks(const greedy_seed_points& in, std::size_t candidates)
      : blocks(in, block_points), parts(in, part_points), ends(blocks.size(), 0), update_work(in.count),
        potential_work(in.count * candidates) {}

  std::size_t size() const { return blocks.size(); }
  // A block's cost for parallel_chunks(): its share of the last such pass's
  // points, and at least its box tests.
  std::size_t cost_per_block(std::size_t work) const { return std::max<std::size_t>(work / size(), 16); }
  std::size_t first_part(std::size_t b) const { return b * parts_per_block; }
  std::size_t end_part(std::size_t b) const { return std::min(parts.size(), (b + 1) * parts_per_block); }
};

// Each chunk's sums per candidate (chunk-major), added in chunk order: integer
// sums, the same on any number of threads.
void merge_partials(const std::vector<std::uint64_t>& partial, int chunks, std::size_t count, std::uint64_t* out) {
  for (std::size_t c = 0; c < count; ++c) {
    std::uint64_t total = 0;
    for (int chunk = 0; chunk < chunks; ++chunk) total += partial[static_cast<std::size_t>(chunk) * count + c];
    out[c] = total;
  }
}

// D(i) = min(D(i), |x_i - centre|^2) for every point of the parts a centre
// can reach (every part without a centre), then those parts' and blocks'
// sums and largest D.
void update_blocks(const greedy_seed_points& in, const packed_rgba* centre, seeding_blocks& blocks) {
  const std::size_t cost = blocks.cost_per_block(blocks.update_work);
  std::vector<std::size_t> work(static_cast<std::size_t>(chunk_count(in.threads, blocks.size(), cost)), 0);
  parallel_chunks(
      in.threads, blocks.size(),
      [&](int chunk, std::size_t first, std::size_t last) {
        // Plain loops over local pointers, so the compiler vectorises them.
        const packed_rgba* __restrict points = in.points;
        const std::uint32_t* __restrict weights = in.weights;
        std::uint32_t* __restrict distance = in.distance;
        std::size_t points_seen = 0;  // written to work once: neighbouring counts share a cache line
        for (std::size_t b = first; b < last; ++b) {
          if (centre != nullptr && blocks.blocks.out_of_reach(b, *centre)) continue;
          for (std::size_t p = blocks.first_part(b); p < blocks.end_part(b); ++p) {
            if (centre != nullptr && blocks.parts.out_of_reach(p, *centre)) continue;
            const std::size_t begin = p * part_points, end = std::min(in.count, (p + 1) * part_points);
            points_seen += end - begin;
            if (centre != nullptr) {
              const packed_rgba c = *centre;
              for (std::size_t i = begin; i < end; ++i) distance[i] = std::min(distance[i], squared_distance(points[i], c));
            }
            std::uint64_t sum = 0;
            std::uint32_t largest = 0;
            for (std::size_t i = begin; i < end; ++i) {
              sum += std::uint64_t{weights[i]} * distance[i];
              largest = std::max(largest, distance[i]);
            }
            blocks.parts.sums[p] = sum;
            blocks.parts.largest[p] = largest;
          }
          std::uint64_t sum = 0;
          std::uint32_t largest = 0;
          for (std::size_t p = blocks.first_part(b); p < blocks.end_part(b); ++p) {
            sum += blocks.parts.sums[p];
            largest = std::max(largest, blocks.parts.largest[p]);
          }
          blocks.blocks.sums[b] = sum;
          blocks.blocks.largest[b] = largest;
        }
        work[static_cast<std::size_t>(chunk)] = points_seen;
      },
      cost);
  blocks.update_work = 0;
  for (std::size_t w : work) blocks.update_work += w;
}

// For each candidate: the potential were it a centre. A block or part it
// cannot reach adds its sum as it stands; the others are summed point by point.
void block_candidate_potentials(const greedy_seed_points& in, seeding_blocks& blocks,
                                const std::vector<packed_rgba>& candidates, std::vector<std::uint64_t>& potentials) {
  const std::size_t count = candidates.size();
  const std::size_t cost = blocks.cost_per_block(blocks.potential_work);
  const int chunks = chunk_count(in.threads, blocks.size(), cost);
  std::vector<std::uint64_t> partial(static_cast<std::size_t>(chunks) * count, 0);
  std::vector<std::size_t> work(static_cast<std::size_t>(chunks), 0);
  parallel_chunks(
      in.threads, blocks.size(),
      [&](int chunk, std::size_t first, std::size_t last) {
        std::uint64_t* mine = partial.data() + static_cast<std::size_t>(chunk) * count;
        std::size_t points_seen = 0;
        for (std::size_t b = first; b < last; ++b) {
          for (std::size_t c = 0; c < count; ++c) {
            if (blocks.blocks.out_of_reach(b, candidates[c])) {
              mine[c] += blocks.blocks.sums[b];
              continue;
            }
            // Runs of parts in reach in one call each: early in the loop
            // nearly every part is, and a call per part costs more than its test.
            std::size_t run = blocks.first_part(b);
            for (std::size_t p = run; p <= blocks.end_part(b); ++p) {
              const bool past_end = p == blocks.end_part(b);
              if (!past_end && !blocks.parts.out_of_reach(p, candidates[c])) continue;
              if (run < p) {
                const std::size_t begin = run * part_points, end = std::min(in.count, p * part_points);
                points_seen += end - begin;
                candidate_potentials(in.points, in.weights, in.distance, begin, end, &candidates[c], 1, mine + c);
              }
              if (!past_end) mine[c] += blocks.parts.sums[p];
              run = p + 1;
            }
          }
        }
        work[static_cast<std::size_t>(chunk)] = points_seen;
      },
      cost);
  merge_partials(partial, chunks, count, potentials.data());
  blocks.potential_work = 0;
  for (std::size_t w : work) blocks.potential_work += w;
}

// The smallest i whose running sum of weight * D through i exceeds target
// (seed_sample's rule), from the blocks' running sums.
std::size_t draw(const greedy_seed_points& in, const seeding_blocks& blocks, std::uint64_t target) {
  const std::size_t b =
      static_cast<std::size_t>(std::upper_bound(blocks.ends.begin(), blocks.ends.end(), target) - blocks.ends.begin());
  if (b == blocks.size()) throw error(error_kind::internal, "k-means++: target beyond the potential");
  std::uint64_t running = b == 0 ? 0 : blocks.ends[b - 1];
  // The part by its sum, then the point: a sixteenth of the block's points.
  std::size_t p = blocks.first_part(b);
  for (; p + 1 < blocks.end_part(b) && running + blocks.parts.sums[p] <= target; ++p) running += blocks.parts.sums[p];
  const std::size_t end = std::min(in.count, (p + 1) * part_points);
  for (std::size_t i = p * part_points; i < end; ++i) {
    running += std::uint64_t{in.weights[i]} * in.distance[i];
    if (running > target) return i;
  }
  throw error(error_kind::internal, "k-means++: a block's sum disagrees with its points");
}

}  // namespace

void all_candidate_potentials(const greedy_seed_points& in, const packed_rgba* candidates, int count,
                              std::uint64_t* potentials) {
  const auto cost = static_cast<std::size_t>(count);
  const int chunks = chunk_count(in.threads, in.count, cost);
  std::vector<std::uint64_t> partial(static_cast<std::size_t>(chunks) * cost, 0);
  parallel_chunks(
      in.threads, in.count,
      [&](int chunk, std::size_t begin, std::size_t end) {
        candidate_potentials(in.points, in.weights, in.distance, begin, end, candidates, count,
                             partial.data() + static_cast<std::size_t>(chunk) * cost);
      },
      cost);
  merge_partials(partial, chunks, cost, potentials);
}

void greedy_seed(const greedy_seed_points& in, seeded_random& random, int k, int trials,
                 std::vector<packed_rgba>& centres) {
  seeding_blocks blocks(in, static_cast<std::size_t>(trials));
  const auto candidates_count = static_cast<std::size_t>(trials);
  std::vector<packed_rgba> candidates(candidates_count);
  std::vector<std::uint64_t> potentials(candidates_count);
  std::vector<std::uint64_t> targets(candidates_count);
  update_blocks(in, nullptr, blocks);
  while (centres.size() < static_cast<std::size_t>(k)) {
    std::uint64_t potential = 0;
    for (std::size_t b = 0; b < blocks.size(); ++b) blocks.ends[b] = potential += blocks.blocks.sums[b];
    if (potential == 0) throw error(error_kind::internal, "k-means++: every point already is a centre");
    // All targets first, then the draws: the order seed_centres() takes them in.
    for (auto& t : targets) t = random.below(potential);
    for (std::size_t t = 0; t < candidates_count; ++t) candidates[t] = in.points[draw(in, blocks, targets[t])];
    block_candidate_potentials(in, blocks, candidates, potentials);
    const auto best = static_cast<std::size_t>(std::min_element(potentials.begin(), potentials.end()) - potentials.begin());
    centres.push_back(candidates[best]);
    update_blocks(in, &centres.back(), blocks);
  }
}

}  // namespace kmq::detail
