#include "kmq/quantize_params.hpp"

#include <algorithm>
#include <cmath>

#include "kmq/error.hpp"

namespace kmq {

init_method parse_init_method(const std::string& text) {
  if (text == "kmeans++" || text == "k-means++") return init_method::kmeanspp;
  if (text == "random") return init_method::random;
  if (text == "split") return init_method::variance_split;
  throw error(error_kind::invalid_argument, "unknown --init '" + text + "' (expected kmeans++, random or split)");
}

const char* init_method_name(init_method init) noexcept {
  switch (init) {
    case init_method::random: return "random";
    case init_method::variance_split: return "split";
    case init_method::kmeanspp: break;
  }
  return "kmeans++";
}

dither_method parse_dither_method(const std::string& text) {
  if (text == "none") return dither_method::none;
  if (text == "fs" || text == "floyd-steinberg") return dither_method::floyd_steinberg;
  throw error(error_kind::invalid_argument, "unknown --dither '" + text + "' (expected none or fs)");
}

const char* dither_method_name(dither_method dither) noexcept {
  return dither == dither_method::floyd_steinberg ? "fs" : "none";
}

color_space parse_color_space(const std::string& text) {
  if (text == "rgb") return color_space::rgb;
  if (text == "oklab") return color_space::oklab;
  throw error(error_kind::invalid_argument, "unknown --space '" + text + "' (expected rgb or oklab)");
}

const char* color_space_name(color_space space) noexcept { return space == color_space::oklab ? "oklab" : "rgb"; }

namespace {

[[noreturn]] void out_of_range(const std::string& what) { throw error(error_kind::invalid_argument, what); }

// Colour-centroid pairs a Lloyd pass visits: the clustered colours (counted
// twice with alpha, for the polishing rounds) times k. No overflow for any
// colour count an image can have (k <= 256).
std::uint64_t clustering_work(int k, std::size_t distinct_points, bool with_alpha) noexcept {
  return static_cast<std::uint64_t>(distinct_points) * (with_alpha ? 2 : 1) * static_cast<std::uint64_t>(std::max(k, 0));
}

}  // namespace

void validate(const kmeans_params& params) {
  if (params.k < 1 || params.k > max_colors) {
    out_of_range("-k/--colors must be between 1 and " + std::to_string(max_colors) + ", not " +
                 std::to_string(params.k));
  }
  if (params.max_iter < 1) out_of_range("--max-iter must be at least 1, not " + std::to_string(params.max_iter));
  if (params.restarts < 1) out_of_range("--restarts must be at least 1, not " + std::to_string(params.restarts));
  if (!(params.tol >= 0.0 && params.tol <= 1.0) || !std::isfinite(params.tol)) {
    out_of_range("--tol must be a number between 0 and 1");
  }
}

void validate(const quantize_options& options) {
  validate(options.kmeans);
  if (options.space != color_space::rgb && options.space != color_space::oklab) {
    out_of_range("--space must be rgb or oklab");
  }
}

bool cheap_clustering(int k, std::size_t distinct_points, bool with_alpha, std::uint64_t pixels) noexcept {
  if (k < 1) return false;
  return clustering_work(k, distinct_points, with_alpha) <= std::min(cheap_clustering_work, cheap_work_per_pixel * pixels);
}

int refined_runs(int k, std::size_t distinct_points, bool with_alpha, int restarts) noexcept {
  if (restarts <= 2) return std::max(restarts, 0);
  const std::uint64_t work = clustering_work(k, distinct_points, with_alpha);
  const std::uint64_t fit = work == 0 ? static_cast<std::uint64_t>(restarts) : refine_work / work;
  return static_cast<int>(std::clamp<std::uint64_t>(fit, 2, static_cast<std::uint64_t>(restarts)));
}

int automatic_restarts(int k, std::size_t distinct_points, bool with_alpha, std::uint64_t pixels) noexcept {
  if (with_alpha && distinct_points > automatic_restart_alpha_points) return 1;
  if (distinct_points > seedings_max_colors) return 1;
  if (cheap_clustering(k, distinct_points, with_alpha, pixels)) return cheap_restarts;
  if (!with_alpha && k <= seedings_max_k && pixels <= seedings_max_pixels &&
      clustering_work(k, distinct_points, with_alpha) <= seedings_work_per_pixel * pixels) {
    return small_palette_restarts;
  }
  return automatic_restarts(k);
}

bool automatic_split_run(int k, std::size_t distinct_points, bool with_alpha, std::uint64_t pixels) noexcept {
  if (k < 1 || k > split_run_max_k) return false;
  if (with_alpha && distinct_points > automatic_restart_alpha_points) return false;
  return clustering_work(k, distinct_points, with_alpha) <= split_run_work_per_pixel * pixels;
}

int automatic_restarts(int k) noexcept { return k <= 32 ? small_palette_restarts : 1; }

quantize_options resolve_automatic(quantize_options options) noexcept {
  if (options.kmeans.restarts == 0) options.kmeans.restarts = automatic_restarts(options.kmeans.k);
  return options;
}

}  // namespace kmq
