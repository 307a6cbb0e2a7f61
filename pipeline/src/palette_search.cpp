#include "kmq/pipeline/palette_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "kmq/error.hpp"
#include "kmq/metrics.hpp"
#include "kmq/stopwatch.hpp"

namespace kmq {

namespace {

// Builds palettes on demand and remembers each K's PSNR: bisection asks for
// some K twice, and the answer of a K never changes.
class psnr_by_k {
 public:
  psnr_by_k(const color_set& colors, const quantize_options& options, backend& engine, observer* watcher,
            std::vector<int>& tried)
      : colors_(colors), options_(options), engine_(engine), watcher_(watcher), tried_(tried) {}

  double operator()(int k) {
    const auto known = psnr_.find(k);
    if (known != psnr_.end()) return known->second;
    quantize_options options = options_;
    options.kmeans.k = k;
    last_ = quantize(colors_, options, engine_, watcher_);
    const double psnr = psnr_from_mse(last_->mse);
    tried_.push_back(k);
    psnr_[k] = psnr;
    return psnr;
  }

  // The palette of K when it was the last one built, else nothing.
  std::optional<quantize_result> take_if_last(int k) {
    if (!last_ || last_->k != k) return std::nullopt;
    return std::move(last_);
  }

 private:
  const color_set& colors_;
  const quantize_options& options_;
  backend& engine_;
  observer* watcher_;
  std::vector<int>& tried_;
  std::map<int, double> psnr_;
  std::optional<quantize_result> last_;
};

std::string db(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f dB", value);
  return text;
}

}  // namespace

namespace {

// PSNR grows about linearly in log2(K) (some 2-3 dB a doubling on photos),
// so the next K to try comes from the line through what is known; a step
// that would not shrink the bracket falls back to bisection.
constexpr double typical_db_per_doubling = 2.5;

int clamp_k(double k, int low, int high) {
  if (!(k == k)) return low;  // NaN
  return static_cast<int>(std::min<double>(high, std::max<double>(low, std::round(k))));
}

// In double: a far target (98 dB from 27) extrapolates past any int, and
// clamp_k bounds it.
double interpolate(int k1, double p1, int k2, double p2, double target) {
  const double slope = (p2 - p1) / (std::log2(k2) - std::log2(k1));
  const double usable = slope > 0.05 ? slope : typical_db_per_doubling;
  return std::exp2(std::log2(k1) + (target - p1) / usable);
}

}  // namespace

// The original app's Large (high compression), Medium and Small (best
// quality), named by what the user gets. Each is a PSNR target rather than a
// fixed K: the same level then means the same visible quality on a flat
// screenshot (few colours suffice) and a noisy photo (many are needed). The
// targets come from measurements on the sample images (README, "Levels",
// bench/levels.sh). MIN is 0: a level never refuses an image; one that
// cannot reach its target gets 256 colours.
quality_target level_quality(const std::string& level) {
  if (level == "smallest") return {0.0, 30.0};
  if (level == "balanced") return {0.0, 35.0};
  if (level == "best") return {0.0, 40.0};
  throw error(error_kind::invalid_argument, "--level: '" + level + "' is not smallest, balanced or best");
}

const std::vector<std::string>& level_names() {
  static const std::vector<std::string> names = {"smallest", "balanced", "best"};
  return names;
}

quality_search_result search_quality(const color_set& colors, const quality_target& target,
                                     const quantize_options& options, backend& engine, observer* watcher) {
  if (!(target.min_psnr >= 0.0 && target.min_psnr <= target.max_psnr && std::isfinite(target.max_psnr))) {
    throw error(error_kind::invalid_argument, "--quality needs MIN-MAX with 0 <= MIN <= MAX (PSNR in dB)");
  }
  quality_search_result found;
  psnr_by_k psnr(colors, options, engine, watcher, found.tried);
  // K at the distinct colours is lossless: nothing above it differs.
  const int most = static_cast<int>(std::min<std::size_t>(max_colors, colors.distinct_colors()));
  // Bracket: failing < K <= passing, with psnr(passing) >= max; 0 and most + 1 mean "not known yet".
  int failing = 0, passing = most + 1;
  double failing_psnr = 0.0, passing_psnr = 0.0;
  // The failing K before the last one: below any passing K, the line through
  // the two (the curve's own slope there) replaces the typical 2.5 dB a
  // doubling, which photos fall short of at large K (elephants at 35 dB:
  // K = 16, 95, 135, 146, 149, 150, 151 before; 16, 95, 146, 150, 151 with it).
  int earlier_failing = 0;
  double earlier_failing_psnr = 0.0;
  int k = std::min(16, most);  // a cheap first palette, where most answers lie
  int same_side = 0, last_side = 0;
  while (passing - failing > 1) {
    const double p = psnr(k);
    const int side = p >= target.max_psnr ? 1 : -1;
    same_side = side == last_side ? same_side + 1 : 1;
    last_side = side;
    if (side > 0) {
      passing = k;
      passing_psnr = p;
    } else {
      earlier_failing = failing;
      earlier_failing_psnr = failing_psnr;
      failing = k;
      failing_psnr = p;
    }
    if (passing - failing <= 1) break;
    if (failing > 0 && passing <= most) {
      // The line through the bracket's ends; when it keeps landing on one
      // side (the curve bends), bisection guarantees progress.
      k = same_side >= 2 ? failing + (passing - failing) / 2
                         : clamp_k(interpolate(failing, failing_psnr, passing, passing_psnr, target.max_psnr),
                                   failing + 1, passing - 1);
    } else if (failing == 0) {
      k = clamp_k(interpolate(passing, passing_psnr, passing, passing_psnr, target.max_psnr), 1, passing - 1);
      if (k == passing - 1 && passing > 2) k = passing / 2;
    } else if (earlier_failing > 0) {
      k = clamp_k(interpolate(earlier_failing, earlier_failing_psnr, failing, failing_psnr, target.max_psnr), failing + 1,
                  most);
    } else {
      k = clamp_k(interpolate(failing, failing_psnr, failing, failing_psnr, target.max_psnr), failing + 1, most);
    }
  }
  if (passing <= most) {
    found.k = passing;
    found.met_max = true;
    found.palette = psnr.take_if_last(found.k);
    return found;
  }
  // Even the largest palette stays under max: it is written if it reaches min.
  const double best = psnr(most);
  if (best < target.min_psnr) {
    throw error(error_kind::quality_not_met, "even " + std::to_string(most) + " colours reach only PSNR " + db(best) +
                                                 ", below the --quality minimum " + db(target.min_psnr));
  }
  found.k = most;
  found.palette = psnr.take_if_last(found.k);
  return found;
}

std::vector<elbow_point> elbow_curve(const color_set& colors, const quantize_options& options, backend& engine,
                                     observer* watcher) {
  std::vector<elbow_point> curve;
  const std::size_t distinct = colors.distinct_colors();
  for (int k = 2; k <= max_colors; k *= 2) {
    const bool lossless = static_cast<std::size_t>(k) >= distinct;
    quantize_options at_k = options;
    at_k.kmeans.k = lossless ? static_cast<int>(distinct) : k;
    const detail::stopwatch clock;
    const quantize_result palette = quantize(colors, at_k, engine, watcher);
    curve.push_back({at_k.kmeans.k, palette.wcss, palette.mse, psnr_from_mse(palette.mse), clock.seconds()});
    if (lossless) break;
  }
  return curve;
}

}  // namespace kmq
