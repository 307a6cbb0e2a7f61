// What a request asks of one image, read from its query string: the palette
// size or a target (k, level, psnr), dithering and the seed. Every other
// setting is kmq compress's default, so a download equals
// `kmq compress IMAGE -o OUT.png` with the same flags (command_line()).
#pragma once
#include <map>
#include <string>

#include "kmq/pipeline/image_job.hpp"

namespace kmq::serve {

struct request_settings {
  int k = 16;
  std::string level;   // smallest, balanced, best, or empty
  double psnr = 0.0;   // a PSNR target in dB (as --quality 0-PSNR), 0: none
  dither_method dither = dither_method::none;
  std::uint64_t seed = 0;

  // Sets the job's K or quality target, dithering and seed.
  void apply(image_job& job) const;
  // A key for caching results: equal settings, equal key.
  std::string key() const;
  // The equivalent command line, for the report and the page.
  std::string command_line(const std::string& input) const;
};

// From query parameters k, level, psnr, dither (none|fs), seed; at most one
// of k, level and psnr. Throws error(invalid_argument) naming the parameter.
request_settings read_settings(const std::multimap<std::string, std::string>& params);

// seq: the page's sequence number for an image (0 when absent).
std::uint64_t read_sequence(const std::multimap<std::string, std::string>& params);

}  // namespace kmq::serve
