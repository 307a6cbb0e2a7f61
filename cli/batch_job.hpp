// One input of `kmq batch`: the --skip-existing decision (by the output, or
// by the manifest's record of the same input and params), run_job() (written
// at once, or first compared with the input under --skip-if-larger), and the
// manifest line and counts that the main thread records. Called by the
// worker threads; holds no state of its own.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "batch_command.hpp"
#include "batch_manifest.hpp"
#include "batch_plan.hpp"
#include "kmq/backend.hpp"
#include "kmq/backend_starter.hpp"
#include "kmq/error.hpp"

namespace kmq::cli {

enum class result_status { ok, failed, skipped, skipped_larger, cancelled };

struct job_result {
  result_status status = result_status::failed;
  nlohmann::json line;
  std::string message;  // for stderr
  std::uint64_t in_bytes = 0, out_bytes = 0;
};

struct batch_context {
  const batch_settings& settings;
  std::string params, hash;
  const manifest_record* done = nullptr;  // with --manifest and --skip-existing
  backend_starter* engines = nullptr;  // started before the first run_job(): a batch that skips all starts none
};

// r as a failure of `about` (the input, or the folder or file that failed), with the exit code
// `kmq compress` would give it and its error kind, for stderr and the manifest.
job_result failure(job_result r, const std::string& about, error_kind kind, const std::string& reason);

// Never throws: every failure is a result. stopping() is asked between the job's stages and
// iterations; a job cancelled because of it is result_status::cancelled (not recorded).
job_result process_input(const batch_context& context, const batch_input& in, backend& engine, bool (*stopping)());

}  // namespace kmq::cli
