// A deterministic seeding by variance-based splitting (Wan, Wong and
// Prusinkiewicz 1990; Wu 1991 does the same on a 33^3 histogram): start with
// one box holding every colour, split the box whose best cut lowers the
// squared error most, at that cut, until there are k boxes. Exact on the
// distinct colours, no binning. Its boxes follow where the colours are dense
// and varied at once, where k-means++ draws centres one by one, so Lloyd's
// iterations from it end in another local minimum (often a lower one at
// large k): quantize() runs it as one more candidate beside the seedings.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

// k distinct colours (1 <= k <= colors.size()), the rounded means of the k
// boxes. colors: distinct (seed_centres() passes runs of equal points, which
// premultiplying or OKLab may have merged, as one); weights: their pixel
// counts, each > 0. Every cut is a plane between two integer values of one
// channel, so the rounded means of two boxes differ in the channel of the cut
// that parted them. Among cuts of equal gain the first (channel, then value)
// wins; among boxes of equal gain, the one of lower index (a cut box keeps
// its index for its lower side, the upper side comes last): the same
// centres on every machine.
std::vector<packed_rgba> variance_split_centres(const std::vector<packed_rgba>& colors,
                                                const std::vector<std::uint64_t>& weights, int k);

}  // namespace kmq::detail
