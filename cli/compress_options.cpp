// Option parsing for `kmq compress`: every value is checked here, before any
// file is opened, so a typo costs nothing. Values are read as text and
// converted here, so that every complaint names its option and the range.
#include <cxxopts.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "compress_command.hpp"
#include "kmq/error.hpp"

namespace kmq::cli {
namespace {

const char* const help_epilogue = R"(
Inputs: PNG, JPEG, WebP, TIFF, BMP (a directory stands for the images directly in it).
INPUT may be - for standard input; -o - writes the PNG to standard output.

Examples:
  kmq compress photo.jpg -o photo.png                  16 colours
  kmq compress photo.jpg -o small.png -k 8 --force     8 colours, replace small.png
  kmq compress shots/ --out-dir out/ -k 64 --json      a directory, one JSON line per image
  cat photo.jpg | kmq compress - -o - -k 32 > out.png  a pipe

Exit codes: 0 ok, 64 usage, 65 bad or too large input, 66 input missing or
unreadable (or no image found), 69 --backend cuda without a device, 70 internal
error, 73 output cannot be written or exists, 130 interrupted. With several
inputs, the first failure's code.
)";

[[noreturn]] void bad_value(const std::string& flag, const std::string& text, const std::string& expected) {
  throw error(error_kind::invalid_argument, flag + ": '" + text + "' is not " + expected);
}

std::string flag_of(const std::string& name) {
  if (name == "colors") return "-k/--colors";
  if (name == "output") return "-o/--output";
  return "--" + name;
}

std::string range_text(long double low, long double high) {
  char text[96];
  std::snprintf(text, sizeof text, "%.10Lg to %.10Lg", low, high);
  return text;
}

// A whole number in [low, high], from the option's text.
std::uint64_t whole_number(const cxxopts::ParseResult& parsed, const std::string& name, std::uint64_t low,
                           std::uint64_t high) {
  const std::string text = parsed[name].as<std::string>();
  const std::string expected = "a whole number from " + std::to_string(low) + " to " + std::to_string(high);
  // strtoull accepts "-1" (as a huge number) and leading blanks: refuse both.
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) bad_value(flag_of(name), text, expected);
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE || value < low || value > high) bad_value(flag_of(name), text, expected);
  return value;
}

double real_number(const cxxopts::ParseResult& parsed, const std::string& name, double low, double high) {
  const std::string text = parsed[name].as<std::string>();
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !(value >= low && value <= high)) {
    bad_value(flag_of(name), text, "a number from " + range_text(low, high));
  }
  return value;
}

int restarts_for(const cxxopts::ParseResult& parsed, int k) {
  if (parsed["restarts"].as<std::string>() == "auto") return automatic_restarts(k);
  const std::string text = parsed["restarts"].as<std::string>();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 4 ||
      std::stoi(text) < 1 || std::stoi(text) > 1000) {
    bad_value("--restarts", text, "auto or a whole number from 1 to 1000");
  }
  return std::stoi(text);
}

cxxopts::Options make_options() {
  cxxopts::Options options("kmq compress",
                           "Quantize images to a palette of at most K colours (k-means) and write indexed PNGs.");
  options.custom_help("INPUT -o OUTPUT.png [options]  |  INPUT... --out-dir DIR [options]");
  options.positional_help("");
  auto text = [] { return cxxopts::value<std::string>(); };
  options.add_options()
    ("o,output", "output PNG, for exactly one input (- = standard output)", text(), "FILE")
    ("out-dir", "write DIR/<input name>.png for every input; directories are expanded to their images", text(), "DIR")
    ("k,colors", "palette size K, 1-256", text()->default_value("16"), "N")
    ("seed", "random seed, 0 to 2^64-1 (same seed, same output)", text()->default_value("0"), "S")
    ("max-iter", "most Lloyd iterations per run", text()->default_value("100"), "N")
    ("tol", "stop when an iteration lowers the error by less than this fraction", text()->default_value("1e-4"), "T")
    ("init", "seeding: kmeans++ or random", text()->default_value("kmeans++"), "METHOD")
    ("restarts", "independent seedings, the lowest error wins; auto = 3 for K <= 32, else 1",
     text()->default_value("auto"), "N|auto")
    ("threads", "CPU threads, 0 = all cores (the output does not depend on it)", text()->default_value("0"), "N")
    ("backend", "auto, cpu or cuda", text()->default_value("auto"), "NAME")
    ("no-dedupe", "cluster every pixel instead of the distinct colours (same output, slower)")
    ("png-level", "zlib level 0-9", text()->default_value(std::to_string(io::default_png_level)), "N")
    ("max-pixels", "refuse images with more pixels than this, from their header",
     text()->default_value(std::to_string(io::default_max_pixels)), "N")
    ("max-file-size", "refuse input files larger than this many bytes",
     text()->default_value(std::to_string(io::default_max_file_bytes)), "BYTES")
    ("force", "replace existing outputs")
    ("json", "print one JSON object per image on stdout (failures too)")
    ("q,quiet", "print nothing on success")
    ("v,verbose", "also print stage times and the error of every iteration")
    ("h,help", "show this help")
    ("inputs", "input images or directories", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"inputs"});
  return options;
}

}  // namespace

compress_settings parse_compress_options(int argc, char** argv, bool& show_help, std::string& help_text) {
  cxxopts::Options options = make_options();
  compress_settings s;
  try {
    const cxxopts::ParseResult parsed = options.parse(argc, argv);
    help_text = options.help() + help_epilogue;
    show_help = parsed.count("help") > 0;
    if (show_help) return s;
    if (parsed.count("inputs")) s.inputs = parsed["inputs"].as<std::vector<std::string>>();
    if (parsed.count("output")) s.output = parsed["output"].as<std::string>();
    if (parsed.count("out-dir")) s.out_dir = parsed["out-dir"].as<std::string>();
    quantize_options& q = s.job.quantize;
    q.kmeans.k = static_cast<int>(whole_number(parsed, "colors", 1, max_colors));
    q.kmeans.seed = whole_number(parsed, "seed", 0, ~std::uint64_t{0});
    q.kmeans.max_iter = static_cast<int>(whole_number(parsed, "max-iter", 1, 1000000));
    q.kmeans.tol = real_number(parsed, "tol", 0.0, 1.0);
    q.kmeans.init = parse_init_method(parsed["init"].as<std::string>());
    q.kmeans.restarts = restarts_for(parsed, q.kmeans.k);
    q.dedupe = parsed.count("no-dedupe") == 0;
    validate(q);
    s.threads = static_cast<int>(whole_number(parsed, "threads", 0, 4096));
    s.backend = parse_backend_choice(parsed["backend"].as<std::string>());
    // Under auto a GPU that runs out of memory hands the image to the CPU;
    // an explicit --backend cuda reports it.
    s.job.on_out_of_memory = s.backend == backend_choice::automatic ? memory_fallback::cpu : memory_fallback::none;
    s.job.fallback_threads = s.threads;
    s.job.png_level = static_cast<int>(whole_number(parsed, "png-level", 0, 9));
    s.job.limits.max_pixels = whole_number(parsed, "max-pixels", 1, 0xffffffffull);
    s.job.limits.max_file_bytes = whole_number(parsed, "max-file-size", 1, ~std::uint64_t{0});
    s.job.force = parsed.count("force") > 0;
    s.json = parsed.count("json") > 0;
    s.quiet = parsed.count("quiet") > 0;
    s.verbose = parsed.count("verbose") > 0;
  } catch (const cxxopts::exceptions::exception& e) {
    throw error(error_kind::invalid_argument, e.what());
  }
  return s;
}

}  // namespace kmq::cli
