// What every per-image front-end of the command line shares: the options that
// decide one image's work (palette size, seed, limits, backend, ...) read
// into an image_job, the names of error kinds, and the JSON line of a failed
// input. kmq compress and kmq batch both read their options through it.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "exit_codes.hpp"
#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/pipeline/image_job.hpp"

// Declared, not included: cxxopts.hpp builds six std::regex objects in every
// file that includes it, before main (~0.2 ms each on a 2-core VM); only the
// files that parse options include it.
namespace cxxopts {
class Options;
class ParseResult;
}  // namespace cxxopts

namespace kmq::cli {

struct job_settings {
  image_job job;       // every setting but the paths
  std::string level;   // --level as given (its target is in job.quality)
  backend_choice backend = backend_choice::automatic;
  int threads = 0;     // clustering threads per job, 0 = every core
};

// Adds -k/--colors, --level, --quality, --elbow, --dither, --seed, --max-iter, --tol,
// --init, --restarts, --threads (with default_threads), --backend,
// --no-dedupe, --png-level, --max-pixels, --max-file-size and --force.
void add_job_options(cxxopts::Options& options, const std::string& default_threads);

// Reads and checks them; throws error(invalid_argument) naming the option.
job_settings read_job_options(const cxxopts::ParseResult& parsed);

// "usage", "input_unreadable", "bad_input", ... as in the JSON "error" field.
const char* kind_name(error_kind kind) noexcept;

// {"input", "status":"failed", "exit_code", "error", "reason"}.
nlohmann::json failure_json(const std::string& input, exit_code code, const std::string& kind, const std::string& reason);

// A whole number in [low, high] from text, or error(invalid_argument) naming flag.
std::uint64_t parse_whole_number(const std::string& flag, const std::string& text, std::uint64_t low,
                                 std::uint64_t high);

}  // namespace kmq::cli
