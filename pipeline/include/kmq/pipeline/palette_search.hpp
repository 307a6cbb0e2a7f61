// Palettes of several sizes from one colour set, the colours counted and
// uploaded once: the smallest K that reaches a PSNR target (--quality), and
// the error against K (--elbow).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kmq/pipeline/image_job.hpp"
#include "kmq/pipeline/job_outcome.hpp"
#include "kmq/quantize.hpp"

namespace kmq {

// --level's PSNR target: "smallest" 30 dB, "balanced" 35, "best" 40 (MIN 0:
// a level never refuses an image). Throws error(invalid_argument) otherwise.
// One table for every front-end (kmq compress, kmq batch, kmq serve).
quality_target level_quality(const std::string& level);
// The levels' names, from the smallest file to the best quality.
const std::vector<std::string>& level_names();

struct quality_search_result {
  int k = 0;                 // the K chosen
  std::vector<int> tried;    // every K built, in order
  bool met_max = false;      // k reaches the target's max (else only its min, at max_colors)
  // The chosen K's palette when it was the last one built (so the backend
  // still holds its labels for remap): no need to build it again.
  std::optional<quantize_result> palette;
};

// The smallest K in 1..256 whose palette reaches target.max_psnr, by
// bisection over K (the error falls as K grows; where it does not, the K
// found still reaches the target). If K = 256 (or the distinct colours) stays
// under max_psnr but reaches min_psnr, that K; if it stays under min_psnr,
// error(quality_not_met). Every K is built with options as given but k.
quality_search_result search_quality(const color_set& colors, const quality_target& target,
                                     const quantize_options& options, backend& engine, observer* watcher);

// K = 2, 4, 8, ... 256 while K < the distinct colours (and that count itself,
// lossless, when it is smaller than 256), each with options as given but k.
std::vector<elbow_point> elbow_curve(const color_set& colors, const quantize_options& options, backend& engine,
                                     observer* watcher);

}  // namespace kmq
