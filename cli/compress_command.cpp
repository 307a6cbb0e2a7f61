#include "compress_command.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <new>

#include <nlohmann/json.hpp>

#include "exit_codes.hpp"
#include "job_plan.hpp"
#include "kmq/cuda_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/pipeline/outcome_report.hpp"
#include "kmq/pipeline/run_job.hpp"
#include "progress_line.hpp"

namespace kmq::cli {
namespace {

// What stdin stands for when INPUT is "-": read with the same bounds as a file.
constexpr const char* stdin_path = "/dev/stdin";

void write_to_stdout(const std::vector<std::uint8_t>& bytes) {
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t wrote = ::write(STDOUT_FILENO, p, left);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw error(error_kind::output_failed, "standard output", std::strerror(errno));
    }
    p += wrote;
    left -= static_cast<std::size_t>(wrote);
  }
}

// The summary goes where the PNG does not: stdout, unless the PNG goes there.
void print(const compress_settings& s, const image_job& job, const job_outcome& outcome, bool png_on_stdout) {
  std::ostream& out = png_on_stdout ? std::cerr : std::cout;
  if (s.json) {
    nlohmann::json line = outcome_json(job, outcome);
    line["status"] = "ok";
    out << line.dump() << '\n' << std::flush;
  } else if (!s.quiet) {
    out << outcome_text(job, outcome, s.verbose) << '\n' << std::flush;
  }
}

// One JSON line for a failed input, beside the successes' lines on stdout,
// so a script reading --json sees every input.
void print_failure_json(const std::string& input, exit_code code, const std::string& kind, const std::string& reason,
                        bool png_on_stdout) {
  const nlohmann::json line = {{"input", input}, {"status", "failed"}, {"exit_code", static_cast<int>(code)},
                               {"error", kind}, {"reason", reason}};
  (png_on_stdout ? std::cerr : std::cout) << line.dump() << '\n' << std::flush;
}

const char* kind_name(error_kind kind) {
  switch (kind) {
    case error_kind::invalid_argument: return "usage";
    case error_kind::input_unreadable: return "input_unreadable";
    case error_kind::bad_input: return "bad_input";
    case error_kind::output_failed: return "output_failed";
    case error_kind::backend_unavailable: return "backend_unavailable";
    case error_kind::out_of_memory: return "out_of_memory";
    case error_kind::cancelled: return "cancelled";
    case error_kind::internal: break;
  }
  return "internal";
}

// Runs one job; on failure prints "kmq: <file>: <reason>" and returns its code.
exit_code run_one(const compress_settings& s, const planned_job& planned, backend& engine) {
  const bool png_on_stdout = planned.output == standard_stream;
  image_job job = s.job;
  job.input = planned.input == standard_stream ? stdin_path : planned.input;
  job.output = png_on_stdout ? std::string() : planned.output;
  std::string reason, about = job.input;  // what the message names: the input, or the output at fault
  std::string kind = "internal";
  exit_code code = exit_internal;
  try {
    const bool show_progress = !s.quiet && !s.json && ::isatty(STDERR_FILENO) == 1;
    job_outcome outcome;
    {
      progress_line progress(job.input, job.quantize.kmeans.restarts, show_progress, s.quiet);
      outcome = run_job(job, engine, &progress);
    }
    if (png_on_stdout) {
      write_to_stdout(outcome.png);
      outcome.output = "(standard output)";
    }
    if (planned.input == standard_stream) outcome.input = "(standard input)";
    print(s, job, outcome, png_on_stdout);
    return exit_ok;
  } catch (const error& e) {
    code = exit_code_for(e.kind());
    kind = kind_name(e.kind());
    reason = e.what();
    if (!e.path().empty()) about = e.path();
  } catch (const std::bad_alloc&) {
    kind = kind_name(error_kind::out_of_memory);
    reason = "out of memory";
  } catch (const std::exception& e) {
    reason = std::string("internal error: ") + e.what();
  }
  std::cerr << "kmq: " << about << ": " << reason << '\n';
  if (s.json) print_failure_json(job.input, code, kind, about == job.input ? reason : about + ": " + reason, png_on_stdout);
  return code;
}

}  // namespace

int run_compress(const compress_settings& settings) {
  const std::vector<planned_job> jobs = plan_jobs(settings.inputs, settings.output, settings.out_dir);
  if (settings.output == standard_stream && ::isatty(STDOUT_FILENO) == 1) {
    throw error(error_kind::invalid_argument, "-o -",
                "standard output is a terminal; redirect it to a file or a pipe for the PNG");
  }
  const std::unique_ptr<backend> engine = make_backend(settings.backend, settings.threads);
  if (settings.verbose && !settings.quiet && settings.backend == backend_choice::automatic) {
    const cuda_status cuda = cuda_probe();
    if (!cuda.available) std::cerr << "kmq: no CUDA device (" << cuda.reason << "); using the CPU\n";
  }
  int first_failure = exit_ok;
  for (const planned_job& planned : jobs) {
    const exit_code code = run_one(settings, planned, *engine);
    if (code != exit_ok && first_failure == exit_ok) first_failure = code;
  }
  return first_failure;
}

}  // namespace kmq::cli
