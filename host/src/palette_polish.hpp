// The polishing rounds for an image with alpha: rounding, the opaque and
// transparent entries the alpha rule asks for, and that rule in the mapping
// move the palette off the means of the colours each entry serves; these
// constrained Lloyd rounds on the host, and entry swaps between them, bring
// it back under the rule.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"
#include "kmq/quantize_params.hpp"
#include "point_groups.hpp"

namespace kmq::detail {

struct polish_params {
  int max_rounds = 30;         // constrained Lloyd rounds per polish
  int candidates = 8;          // entries a colour may move to: those nearest its own
  double least_gain = 1e-5;    // the rounds stop when one lowers the error by less than this fraction of it
                               // (1e-3 stopped the 1080x1080 sprite at K=16 0.36 % short of where they end)
  int swap_trials = 16;        // entry swaps tried (kept or not); 0: none
  int swap_patience = 4;       // trials in a row that do not lower the error before the swaps end
  int trial_rounds = 4;        // rounds after a swap before its exact error decides
  double least_saving = 0.25;  // a swap is tried only where the new entry alone saves more than this
                               // fraction of what losing the dropped one alone costs
  // No swaps for more distinct clustered values than this: a large photo with
  // alpha (the 1080x1080 sprite's 219 k, a 4K one's 3 M) gets a balanced
  // allocation from the clustering, and its trials cost 10-40 ms each for
  // nothing (4K, K=256: +0.55 s for 0.13 %); the icons and screenshots the
  // swaps mend have a few thousand. The bound above which such an image
  // also runs one seeding.
  std::size_t swap_groups_limit = automatic_restart_alpha_points;
};

// Constrained Lloyd rounds from each colour's entry (labels, per colour):
// every entry moves to what its colours want under the alpha rule (an opaque
// entry stays opaque and takes their mean composited colour; transparent
// black stays; any other entry their mean alpha and alpha-weighted mean
// colour), then every colour to the nearest (palette_distance between the
// clustered values) of its entry and the `candidates` entries nearest that
// one (the first round remaps only). A round is kept only when the exact
// error falls; the rounds stop when it falls by under least_gain of itself. Then
// entry swaps (palette_polish.cpp), each judged after trial_rounds rounds;
// after a kept one the rounds run again to convergence, and the swaps are
// undone unless the error of the nearest-entry mapping (the one the image
// gets) fell. The same on every thread count (per-colour work, integer
// sums). Returns the palette, sorted.
std::vector<packed_rgba> polish_palette(const std::vector<packed_rgba>& straight, const std::vector<packed_rgba>& clustered,
                                        const std::vector<std::uint32_t>& counts, std::vector<std::uint32_t> labels,
                                        std::vector<packed_rgba> palette, bool premultiplied, int threads,
                                        const polish_params& params = {});
// The same over the colours' groups, where the caller has them (quantize()
// groups an image with alpha once, for the refinement and this).
std::vector<packed_rgba> polish_palette(const point_groups& groups, const std::vector<std::uint32_t>& labels,
                                        std::vector<packed_rgba> palette, bool premultiplied, int threads,
                                        const polish_params& params = {});

}  // namespace kmq::detail
