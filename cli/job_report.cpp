#include "job_report.hpp"

#include <cxxopts.hpp>

#include <map>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "kmq/pipeline/palette_search.hpp"

namespace kmq::cli {
namespace {

[[noreturn]] void bad_value(const std::string& flag, const std::string& text, const std::string& expected) {
  throw error(error_kind::invalid_argument, flag + ": '" + text + "' is not " + expected);
}

std::string flag_of(const std::string& name) {
  if (name == "colors") return "-k/--colors";
  return "--" + name;
}

std::uint64_t whole_number(const cxxopts::ParseResult& parsed, const std::string& name, std::uint64_t low,
                           std::uint64_t high) {
  return parse_whole_number(flag_of(name), parsed[name].as<std::string>(), low, high);
}

double real_number(const cxxopts::ParseResult& parsed, const std::string& name, double low, double high) {
  const std::string text = parsed[name].as<std::string>();
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !(value >= low && value <= high)) {
    char range[96];
    std::snprintf(range, sizeof range, "%.10g to %.10g", low, high);
    bad_value(flag_of(name), text, std::string("a number from ") + range);
  }
  return value;
}

int restarts_for(const cxxopts::ParseResult& parsed) {
  const std::string text = parsed["restarts"].as<std::string>();
  if (text == "auto") return 0;
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 4 ||
      std::stoi(text) < 1 || std::stoi(text) > 1000) {
    bad_value("--restarts", text, "auto or a whole number from 1 to 1000");
  }
  return std::stoi(text);
}

quality_target parse_quality(const std::string& text) {
  const std::string expected = "MIN-MAX or MAX, a PSNR in dB from 0 to 100 (e.g. 30-36)";
  const auto dash = text.find('-');
  const std::string low = dash == std::string::npos ? "0" : text.substr(0, dash);
  const std::string high = dash == std::string::npos ? text : text.substr(dash + 1);
  auto number = [&](const std::string& part) {
    char* end = nullptr;
    const double value = std::strtod(part.c_str(), &end);
    if (part.empty() || *end != '\0' || !(value >= 0.0 && value <= 100.0)) bad_value("--quality", text, expected);
    return value;
  };
  const quality_target target{number(low), number(high)};
  if (target.min_psnr > target.max_psnr) bad_value("--quality", text, expected + ", MIN <= MAX");
  return target;
}

}  // namespace

std::uint64_t parse_whole_number(const std::string& flag, const std::string& text, std::uint64_t low,
                                 std::uint64_t high) {
  const std::string expected = "a whole number from " + std::to_string(low) + " to " + std::to_string(high);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) bad_value(flag, text, expected);
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE || value < low || value > high) bad_value(flag, text, expected);
  return value;
}

void add_job_options(cxxopts::Options& options, const std::string& default_threads) {
  auto text = [] { return cxxopts::value<std::string>(); };
  options.add_options("image")
    ("k,colors", "palette size K, 1-256 (default 16, or what --level says)", text(), "N")
    ("level", "smallest, balanced or best: a PSNR target each (30, 35, 40 dB)", text(), "LEVEL")
    ("quality", "the smallest K whose PSNR reaches MAX dB; K=256 if it only reaches MIN; below MIN the image fails",
     text(), "MIN-MAX")
    ("elbow", "also build K = 2, 4, ... 256 and record the error of each")
    ("dither", "none, or fs: Floyd-Steinberg error diffusion (serpentine, deterministic)",
     text()->default_value("none"), "METHOD")
    ("seed", "random seed, 0 to 2^64-1 (same seed, same output)", text()->default_value("0"), "S")
    ("max-iter", "most Lloyd iterations per run", text()->default_value("100"), "N")
    ("tol", "stop when an iteration lowers the error by less than this fraction", text()->default_value("1e-4"), "T")
    ("init", "seeding: kmeans++, random, or split (variance split: no draws, one run)", text()->default_value("kmeans++"), "METHOD")
    ("restarts", "independent seedings (1-1000), the lowest error wins; auto = 3 for K <= 32 (and up to K=64 for an opaque image of at most 4 MP and 8 colours x K per pixel), else 1, and 8 where clustering is cheap (colours x K small), plus one from a variance split for K <= 128 where colours x K is at most 3 per pixel",
     text()->default_value("auto"), "N|auto")
    ("threads", "CPU threads per image, 0 = all cores (the output does not depend on it)",
     text()->default_value(default_threads), "N")
    ("backend", "auto, cpu or cuda", text()->default_value("auto"), "NAME")
    ("no-dedupe", "cluster every pixel instead of the distinct colours (same output, slower)")
    ("space", "cluster in rgb (lowest MSE) or oklab (perceptual; opaque images)", text()->default_value("rgb"), "SPACE")
    ("png-level", "deflate level 0-12 (libdeflate): 1 fastest, 12 smallest",
     text()->default_value(std::to_string(io::default_png_level)), "N")
    ("max-pixels", "refuse images with more pixels than this, from their header",
     text()->default_value(std::to_string(io::default_max_pixels)), "N")
    ("max-file-size", "refuse input files larger than this many bytes",
     text()->default_value(std::to_string(io::default_max_file_bytes)), "BYTES")
    ("force", "replace existing outputs");
}

namespace {

// cxxopts keeps the last of an option given twice: "-o a.png -o b.png" would
// write b.png alone, silently. Two different values are named instead (the
// same twice, and a flag twice, change nothing). The inputs, positional, may
// be many.
void refuse_differing_repeats(const cxxopts::ParseResult& parsed) {
  std::map<std::string, std::string> first;
  for (const cxxopts::KeyValue& given : parsed.arguments()) {
    if (given.key() == "inputs" || given.key() == "sources") continue;
    const auto [at, added] = first.emplace(given.key(), given.value());
    if (!added && at->second != given.value()) {
      throw error(error_kind::invalid_argument, "--" + given.key() + " is given twice, as '" + at->second + "' and '" +
                                                    given.value() + "': give it once");
    }
  }
}

}  // namespace

job_settings read_job_options(const cxxopts::ParseResult& parsed) {
  refuse_differing_repeats(parsed);
  job_settings s;
  quantize_options& q = s.job.quantize;
  if (parsed.count("colors") && parsed.count("quality")) {
    throw error(error_kind::invalid_argument, "-k/--colors and --quality both choose K: give one of them");
  }
  if (parsed.count("level") && parsed.count("quality")) {
    throw error(error_kind::invalid_argument, "--level and --quality both set the PSNR target: give one of them");
  }
  if (parsed.count("level")) {
    s.level = parsed["level"].as<std::string>();
    s.job.quality = level_quality(s.level);
  }
  if (parsed.count("quality")) s.job.quality = parse_quality(parsed["quality"].as<std::string>());
  if (parsed.count("colors")) {
    q.kmeans.k = static_cast<int>(whole_number(parsed, "colors", 1, max_colors));
    s.job.quality.reset();
  }
  s.job.elbow = parsed.count("elbow") > 0;
  s.job.remap.dither = parse_dither_method(parsed["dither"].as<std::string>());
  q.kmeans.seed = whole_number(parsed, "seed", 0, ~std::uint64_t{0});
  q.kmeans.max_iter = static_cast<int>(whole_number(parsed, "max-iter", 1, 1000000));
  q.kmeans.tol = real_number(parsed, "tol", 0.0, 1.0);
  q.kmeans.init = parse_init_method(parsed["init"].as<std::string>());
  q.kmeans.restarts = restarts_for(parsed);
  q.dedupe = parsed.count("no-dedupe") == 0;
  q.space = parse_color_space(parsed["space"].as<std::string>());
  validate(resolve_automatic(q));
  s.threads = static_cast<int>(whole_number(parsed, "threads", 0, 4096));
  s.backend = parse_backend_choice(parsed["backend"].as<std::string>());
  s.job.on_out_of_memory = s.backend == backend_choice::automatic ? memory_fallback::cpu : memory_fallback::none;
  s.job.fallback_threads = s.threads;
  s.job.png_level = static_cast<int>(whole_number(parsed, "png-level", 0, io::max_png_level));
  s.job.limits.max_pixels = whole_number(parsed, "max-pixels", 1, 0xffffffffull);
  s.job.limits.max_file_bytes = whole_number(parsed, "max-file-size", 1, ~std::uint64_t{0});
  s.job.force = parsed.count("force") > 0;
  return s;
}

const char* kind_name(error_kind kind) noexcept {
  switch (kind) {
    case error_kind::invalid_argument: return "usage";
    case error_kind::input_unreadable: return "input_unreadable";
    case error_kind::bad_input: return "bad_input";
    case error_kind::output_failed: return "output_failed";
    case error_kind::backend_unavailable: return "backend_unavailable";
    case error_kind::out_of_memory: return "out_of_memory";
    case error_kind::cancelled: return "cancelled";
    case error_kind::quality_not_met: return "quality_not_met";
    case error_kind::internal: break;
  }
  return "internal";
}

nlohmann::json failure_json(const std::string& input, exit_code code, const std::string& kind, const std::string& reason) {
  return {{"input", input}, {"status", "failed"}, {"exit_code", static_cast<int>(code)}, {"error", kind}, {"reason", reason}};
}

}  // namespace kmq::cli
