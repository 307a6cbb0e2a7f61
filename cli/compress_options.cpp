// Option parsing for `kmq compress`: every value is checked here, before any
// file is opened, so a typo costs nothing.
#include <cxxopts.hpp>

#include "compress_command.hpp"
#include "exit_codes.hpp"
#include "image_io.hpp"
#include "kmq/error.hpp"

namespace kmq::cli {
namespace {

template <typename T>
T in_range(const cxxopts::ParseResult& parsed, const char* name, T low, T high) {
  const T value = parsed[name].as<T>();
  if (value < low || value > high) {
    const std::string flag = std::string(name) == "colors" ? "-k/--colors" : std::string("--") + name;
    throw failure(exit_usage, "", flag + " must be between " + std::to_string(low) + " and " + std::to_string(high));
  }
  return value;
}

// Small palettes fall into noticeably different local minima from one seed to
// the next (a few percent of error); large ones hardly (a fraction of a
// percent), so extra runs pay only for the former.
int restarts_for(const std::string& text, int k) {
  if (text == "auto") return k <= 32 ? 3 : 1;
  try {
    std::size_t used = 0;
    const int n = std::stoi(text, &used);
    if (used == text.size() && n >= 1 && n <= 1000) return n;
  } catch (const std::exception&) {
  }
  throw failure(exit_usage, "", "--restarts must be auto or a number between 1 and 1000");
}

}  // namespace

compress_settings parse_compress_options(int argc, char** argv, bool& show_help, std::string& help_text) {
  cxxopts::Options options("kmq compress", "Quantize images to a palette of at most K colours (k-means) and write indexed PNGs.");
  options.custom_help("INPUT -o OUTPUT.png [options]  |  INPUT... --out-dir DIR [options]");
  options.positional_help("");
  options.add_options()
    ("o,output", "output PNG (one input)", cxxopts::value<std::string>())
    ("out-dir", "write <DIR>/<input name>.png for every input; directories are expanded to their images", cxxopts::value<std::string>())
    ("k,colors", "palette size K, 1-256", cxxopts::value<int>()->default_value("16"))
    ("seed", "random seed (same seed, same output)", cxxopts::value<std::uint64_t>()->default_value("0"))
    ("max-iter", "most Lloyd iterations", cxxopts::value<int>()->default_value("100"))
    ("tol", "stop when an iteration lowers the error by less than this fraction", cxxopts::value<double>()->default_value("1e-4"))
    ("init", "seeding: kmeans++ or random", cxxopts::value<std::string>()->default_value("kmeans++"))
    ("restarts", "independent seedings and runs, the lowest error wins; auto = 3 for K <= 32, else 1",
     cxxopts::value<std::string>()->default_value("auto"))
    ("threads", "CPU threads, 0 = all cores", cxxopts::value<int>()->default_value("0"))
    ("backend", "auto, cpu or cuda", cxxopts::value<std::string>()->default_value("auto"))
    ("no-dedupe", "cluster every pixel instead of the distinct colours (same output, slower)")
    ("png-level", "zlib level 0-9", cxxopts::value<int>()->default_value(std::to_string(default_png_level)))
    ("max-pixels", "refuse images with more pixels than this", cxxopts::value<std::uint64_t>()->default_value(std::to_string(1ull << 28)))
    ("force", "replace existing outputs")
    ("json", "print one JSON object per image on stdout")
    ("q,quiet", "print nothing on success")
    ("v,verbose", "also print stage times and the error of every iteration")
    ("h,help", "show this help")
    ("inputs", "input images or directories", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"inputs"});

  compress_settings s;
  try {
    const cxxopts::ParseResult parsed = options.parse(argc, argv);
    help_text = options.help();
    show_help = parsed.count("help") > 0;
    if (show_help) return s;
    if (parsed.count("inputs")) s.inputs = parsed["inputs"].as<std::vector<std::string>>();
    if (parsed.count("output")) s.output = parsed["output"].as<std::string>();
    if (parsed.count("out-dir")) s.out_dir = parsed["out-dir"].as<std::string>();
    s.quantize.kmeans.k = in_range(parsed, "colors", 1, 256);
    s.quantize.kmeans.seed = parsed["seed"].as<std::uint64_t>();
    s.quantize.kmeans.max_iter = in_range(parsed, "max-iter", 1, 1000000);
    s.quantize.kmeans.tol = in_range(parsed, "tol", 0.0, 1.0);
    s.quantize.kmeans.init = parse_init_method(parsed["init"].as<std::string>());
    s.quantize.kmeans.restarts = restarts_for(parsed["restarts"].as<std::string>(), s.quantize.kmeans.k);
    s.quantize.dedupe = parsed.count("no-dedupe") == 0;
    s.threads = in_range(parsed, "threads", 0, 4096);
    s.backend = parse_backend_choice(parsed["backend"].as<std::string>());
    s.png_level = in_range(parsed, "png-level", 0, 9);
    s.max_pixels = in_range<std::uint64_t>(parsed, "max-pixels", 1, 0xffffffffull);
    s.force = parsed.count("force") > 0;
    s.json = parsed.count("json") > 0;
    s.quiet = parsed.count("quiet") > 0;
    s.verbose = parsed.count("verbose") > 0;
  } catch (const cxxopts::exceptions::exception& e) {
    throw failure(exit_usage, "", e.what());
  } catch (const error& e) {
    throw failure(exit_usage, "", e.what());
  }
  return s;
}

}  // namespace kmq::cli
