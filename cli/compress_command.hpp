// `kmq compress`: one image or many, each into a palette PNG. Plans the jobs,
// hands each to run_job(), prints what came back.
#pragma once
#include <string>
#include <vector>

#include "extra_outputs.hpp"
#include "kmq/backend_select.hpp"
#include "kmq/pipeline/image_job.hpp"

namespace kmq::cli {

struct compress_settings {
  std::vector<std::string> inputs;  // files, or directories (their images, not recursive)
  std::string output;               // with exactly one input
  std::string out_dir;              // with any number of inputs: <out_dir>/<stem>.png
  image_job job;                    // every setting but the paths, shared by all jobs
  std::string level;                // --level as given (its target is in job.quality)
  extra_outputs extra;              // --palette-out, --labels-out, --report (one input)
  std::string command_line;         // as typed, for the report
  backend_choice backend = backend_choice::automatic;
  int threads = 0;
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  bool skip_if_larger = false;      // write nothing for an input whose PNG would be larger than it
};

// Parses argv after "compress"; throws error(invalid_argument) on bad
// options. Sets show_help and returns when --help was asked for.
compress_settings parse_compress_options(int argc, char** argv, bool& show_help, std::string& help_text);

// Runs every job; returns the exit code (the first failure's code, 0 if none).
int run_compress(const compress_settings& settings);

}  // namespace kmq::cli
