#include "request_settings.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "kmq/error.hpp"
#include "kmq/pipeline/palette_search.hpp"
#include "kmq/pipeline/shell_word.hpp"
#include "kmq/quantize_params.hpp"

namespace kmq::serve {
namespace {

const std::string* param(const std::multimap<std::string, std::string>& params, const std::string& name) {
  const auto found = params.find(name);
  return found == params.end() ? nullptr : &found->second;
}

std::uint64_t whole(const std::string& name, const std::string& text, std::uint64_t low, std::uint64_t high) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || errno == ERANGE || value < low ||
      value > high) {
    throw error(error_kind::invalid_argument,
                name + ": '" + text + "' is not a whole number from " + std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

// The shortest text that reads back as the same double (%g's 6 digits would
// let two settings share a key and print a command line that differs).
std::string number_text(double value) {
  char buffer[32];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

}  // namespace

request_settings read_settings(const std::multimap<std::string, std::string>& params) {
  request_settings s;
  const std::string* k = param(params, "k");
  const std::string* level = param(params, "level");
  const std::string* psnr = param(params, "psnr");
  if ((k != nullptr) + (level != nullptr) + (psnr != nullptr) > 1) {
    throw error(error_kind::invalid_argument, "k, level and psnr each choose K: give one of them");
  }
  if (k != nullptr) s.k = static_cast<int>(whole("k", *k, 1, max_colors));
  if (level != nullptr) {
    level_quality(*level);  // checks the name
    s.level = *level;
  }
  if (psnr != nullptr) {
    char* end = nullptr;
    s.psnr = std::strtod(psnr->c_str(), &end);
    if (psnr->empty() || *end != '\0' || !(s.psnr > 0.0 && s.psnr <= 100.0)) {
      throw error(error_kind::invalid_argument, "psnr: '" + *psnr + "' is not a PSNR in dB above 0, at most 100");
    }
  }
  if (const std::string* dither = param(params, "dither")) s.dither = parse_dither_method(*dither);
  if (const std::string* seed = param(params, "seed")) s.seed = whole("seed", *seed, 0, ~std::uint64_t{0});
  return s;
}

std::uint64_t read_sequence(const std::multimap<std::string, std::string>& params) {
  const std::string* seq = param(params, "seq");
  return seq == nullptr ? 0 : whole("seq", *seq, 0, std::uint64_t{1} << 53);
}

void request_settings::apply(image_job& job) const {
  job.quantize.kmeans.k = k;
  job.quality.reset();
  if (!level.empty()) job.quality = level_quality(level);
  if (psnr > 0.0) job.quality = quality_target{0.0, psnr};
  job.remap.dither = dither;
  job.quantize.kmeans.seed = seed;
  job.quantize.kmeans.restarts = 0;  // kmq compress's default, --restarts auto
}

std::string request_settings::key() const {
  return command_line("");
}

std::string request_settings::command_line(const std::string& input) const {
  std::string line = "kmq compress " + (input.empty() ? std::string("IMAGE") : shell_word(input)) + " -o OUT.png";
  if (!level.empty()) {
    line += " --level " + level;
  } else if (psnr > 0.0) {
    line += " --quality " + number_text(psnr);
  } else {
    line += " -k " + std::to_string(k);
  }
  if (dither != dither_method::none) line += std::string(" --dither ") + dither_method_name(dither);
  if (seed != 0) line += " --seed " + std::to_string(seed);
  return line;
}

}  // namespace kmq::serve
