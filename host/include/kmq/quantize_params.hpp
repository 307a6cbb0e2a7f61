// The parameters of palette building and remapping, apart from the code that
// uses them (as RAFT keeps its parameter structs), with the one check of
// their ranges that every front-end calls.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace kmq {

constexpr int max_colors = 256;  // a PNG palette holds at most 256 entries

enum class init_method { kmeanspp, random, variance_split };

init_method parse_init_method(const std::string& text);  // "kmeans++", "random" or "split"; throws invalid_argument
const char* init_method_name(init_method init) noexcept;  // "kmeans++", "random" or "split"

// The space the colours are clustered in. rgb: sRGB values, the error the
// PNG's MSE measures (the default). oklab: the perceptual OKLab space in fixed
// point (oklab.hpp): the palette that lowers ΔE_ok rather than MSE. Opaque
// images only: an image with alpha is clustered in rgb (quantize_result::space
// says which ran).
enum class color_space { rgb, oklab };

color_space parse_color_space(const std::string& text);  // "rgb" or "oklab"; throws invalid_argument naming --space
const char* color_space_name(color_space space) noexcept;  // "rgb" or "oklab"

struct kmeans_params {
  int k = 16;                 // palette size, 1..max_colors
  std::uint64_t seed = 0;     // same seed, same result
  int max_iter = 100;         // most Lloyd passes per run, >= 1
  double tol = 1e-4;          // stop when (previous - wcss) / previous < tol; finite, >= 0
  init_method init = init_method::kmeanspp;
  int restarts = 1;           // independent seedings, >= 1 (quantize() reads 0 as automatic_restarts for the image); the lowest WCSS wins
  // One more run after the restarts, seeded by variance splitting
  // (init_method::variance_split: no draws), a start unlike k-means++'s.
  // quantize() turns it on with automatic restarts.
  bool split_run = false;
};

struct quantize_options {
  kmeans_params kmeans;
  bool dedupe = true;  // cluster distinct colours (weighted) rather than every pixel; same result
  // After Lloyd's iterations, Hartigan's method over the distinct colours
  // (host, sequential: the same palette on every backend and thread count);
  // and for an opaque grey image, the exact palette instead of clustering
  // (false: plain Lloyd there too).
  bool refine = true;
  color_space space = color_space::rgb;  // where the clustering measures distance (see color_space)
};

// How pixels are mapped to the palette once it is built.
enum class dither_method {
  none,             // every pixel to its nearest palette entry (exact integer distance)
  floyd_steinberg,  // Floyd–Steinberg error diffusion, serpentine, exact integer arithmetic
};

// "none", or "fs" / "floyd-steinberg"; throws invalid_argument naming --dither.
dither_method parse_dither_method(const std::string& text);
const char* dither_method_name(dither_method dither) noexcept;  // "none" or "fs"

struct remap_options {
  dither_method dither = dither_method::none;
};

// Throws error(invalid_argument) naming the first value out of range, in the
// words of the command-line option it comes from (-k/--colors, --max-iter, ...).
void validate(const kmeans_params& params);
void validate(const quantize_options& options);

// Small palettes fall into noticeably different local minima from one seed to
// the next (a few percent of error); large ones hardly, so extra runs pay
// only for the former: 3 for k <= 32, else 1. Four exceptions, the last
// first where they overlap:
// - an image of more than seedings_max_colors distinct colours runs once;
// - an opaque image of at most 4 MP whose clustering is a small part of the
//   whole process (seedings_work_per_pixel below) runs 3 up to
//   k = seedings_max_k too;
// - a cheap clustering (cheap_clustering() below) runs cheap_restarts at any
//   k (refined_runs() decides how many of them are refined);
// - an image with alpha of more than automatic_restart_alpha_points distinct
//   premultiplied colours runs once, as its runs take longer on premultiplied
//   colours and its polishing rounds (palette_polish.hpp) cost about as much
//   again as the refinement (a 1080x1080 translucent sprite: 1.67x the time of
//   the runs before refinement with three, 0.85x with one).
constexpr std::size_t automatic_restart_alpha_points = std::size_t{1} << 17;
// Three seedings for 32 < k <= seedings_max_k where the clustered colours
// times k are at most seedings_work_per_pixel times the pixels: at K=64 one
// seeding lost its draw by up to 1 % on a photo in about ten (bench/NOTES.md,
// rounds 10 and 11), and three cost 1.3-1.7x the whole process, which keeps
// a photo of 8 or fewer pairs a pixel under pngquant's time (at most 0.85x on
// the benchmark sets) while the 0.26 MP samples (15-42 a pixel) keep one.
// Not with alpha: there the run is picked by its refined error, which
// foretells the polished one poorly (two of three icons ended higher). Not
// above K=64: each seeding costs more, and the K=256 rows win with one. Not
// above seedings_max_pixels (4 MP): kmq serve's preview of a large image is
// its clustering alone (the image decoded once), and three seedings took the
// 12 MP upload's K=64 preview from 85 ms to 131-156 ms, past its 150 ms goal.
// More distinct colours than any photo of the benchmark sets or Debian's
// wallpapers (up to 18 MP: at most 443 k) has only a noise-like image, whose
// clustering is nearly all its time: three seedings took a 4 MP image of
// 3.7 M colours from 1.8 s to 5.6 s at K=16 (pngquant --nofs: 1.8 s) for
// 0.44 % lower error.
constexpr std::size_t seedings_max_colors = std::size_t{1} << 20;
constexpr int seedings_max_k = 64;
constexpr std::uint64_t seedings_work_per_pixel = 8;
constexpr std::uint64_t seedings_max_pixels = std::uint64_t{1} << 22;
// A cheap clustering: its clustered colours (counted twice with alpha, for
// the polishing rounds) times k at most cheap_clustering_work (a Lloyd pass
// of under a million distances) and at most cheap_work_per_pixel times the
// image's pixels, so that eight seedings cost less than the image's decoding
// and encoding do (on the benchmark set's 0.2-0.5 MP photos the whole
// process stays under pngquant's time).
constexpr std::uint64_t cheap_clustering_work = std::uint64_t{1} << 20;
constexpr std::uint64_t cheap_work_per_pixel = 2;
constexpr int cheap_restarts = 8;
bool cheap_clustering(int k, std::size_t distinct_points, bool with_alpha, std::uint64_t pixels) noexcept;
// How many of a quantize()'s runs are refined (those of least Lloyd error):
// as many as refine_work colour-centroid pairs allow (the refinement of one
// run costs about 2.5 Lloyd runs), at least two, at most all of them. So on
// a tiny clustering every seeding is refined and more seedings never end
// worse, and refining never costs more than about what two runs of a larger
// one do.
constexpr std::uint64_t refine_work = std::uint64_t{1} << 21;
int refined_runs(int k, std::size_t distinct_points, bool with_alpha, int restarts) noexcept;
int automatic_restarts(int k, std::size_t distinct_points, bool with_alpha, std::uint64_t pixels) noexcept;
// Whether automatic restarts add the variance-split run: where a seeding's
// local minimum matters (k up to split_run_max_k; at K=256 the split run
// changed the error by under 0.4 % either way for 15-50 % more time), where
// the clustering is a small part of the whole process (its colours, counted
// as in cheap_clustering(), times k at most split_run_work_per_pixel times
// the pixels), and not where an image with alpha runs once (above). The work
// bound keeps issue 13's budget for small photos: on the 0.26 MP samples
// (7-42 pairs a pixel) the run added 7-27 % and took astronaut and baboon
// over pngquant's time; at 3 or fewer (hubble, ihc, rocket at K=16) it adds
// 3-8 % to a process at 0.4-0.6x pngquant's.
constexpr int split_run_max_k = 128;
constexpr std::uint64_t split_run_work_per_pixel = 3;
bool automatic_split_run(int k, std::size_t distinct_points, bool with_alpha, std::uint64_t pixels) noexcept;
// For k alone (the image unknown): as for an opaque image of many colours.
constexpr int small_palette_restarts = 3;
int automatic_restarts(int k) noexcept;

// The options with restarts 0 ("auto") made concrete for options.kmeans.k
// (quantize() makes them concrete for the image's colours instead).
quantize_options resolve_automatic(quantize_options options) noexcept;

}  // namespace kmq
