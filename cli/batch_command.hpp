// `kmq batch`: every image under the sources into a palette PNG under OUTDIR
// at the same relative path, by --jobs worker threads, each with its own
// backend, each image through run_job(). See the README, "kmq batch".
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "job_report.hpp"

namespace kmq::cli {

struct batch_settings {
  std::vector<std::string> sources;
  std::string out_dir;
  bool recursive = false;
  int jobs = 0;  // 0: one per core
  bool skip_existing = false;
  bool skip_if_larger = false;
  std::string files_from;  // "-" = standard input
  bool nul_separated = false;
  std::string shard;       // "I/N", "auto" or empty
  std::optional<std::size_t> shard_count;
  std::string manifest;
  std::string progress = "auto";
  bool json = false;
  bool quiet = false;
  job_settings image;  // --threads defaults to 1 here
};

batch_settings parse_batch_options(int argc, char** argv, bool& show_help, std::string& help_text);

// Exit code: 0 all inputs done (or skipped), 1 some failed, 130 stopped by
// SIGINT/SIGTERM; throws kmq::error for usage and output-folder problems and
// when no image is found (66), before any work.
int run_batch(const batch_settings& settings);

}  // namespace kmq::cli
