#include "compress_command.hpp"
#include "terminal_text.hpp"

#include <sys/stat.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <new>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend_policy.hpp"
#include "batch_manifest.hpp"
#include "exit_codes.hpp"
#include "job_plan.hpp"
#include "job_report.hpp"
#include "kmq/io/output_file.hpp"
#include "kmq/backend_starter.hpp"
#include "kmq/cuda_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/kmeans.hpp"
#include "kmq/pipeline/outcome_report.hpp"
#include "kmq/pipeline/run_job.hpp"
#include "progress_line.hpp"

namespace kmq::cli {

namespace fs = std::filesystem;
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
    out << json_line(line) << '\n' << std::flush;
  } else if (!s.quiet) {
    out << outcome_text(job, outcome, s.verbose, terminal_text) << '\n' << std::flush;
  }
}

// --skip-if-larger's answer for an input whose PNG would be larger: nothing
// written, said where the summary goes (the JSON status "skipped_larger").
void print_skipped(const compress_settings& s, const image_job& job, const job_outcome& outcome, bool png_on_stdout,
                   const std::string& shown_input) {
  std::ostream& out = png_on_stdout ? std::cerr : std::cout;
  const std::string reason = "the PNG (" + std::to_string(outcome.png.size()) + " bytes) would be larger than the input (" +
                             std::to_string(outcome.input_bytes) + " bytes); nothing written (--skip-if-larger)";
  if (s.json) {
    nlohmann::json line = outcome_json(job, outcome);
    line["input"] = shown_input;
    line.erase("output");
    line["status"] = "skipped_larger";
    line["reason"] = reason;
    out << json_line(line) << '\n' << std::flush;
  } else if (!s.quiet) {
    out << terminal_text(shown_input + ": skipped: " + reason) << '\n' << std::flush;
  }
}

// The first output of a run into an --out-dir that is not there yet: the
// folders made for it are taken away again when that write fails (a full
// disk, a file size limit), so a run whose every input fails leaves nothing.
// Only here: the jobs of kmq compress run one after another, and nothing else
// of this run writes into a folder it has just made.
void write_into_new_folder(job_outcome& outcome, const std::string& output, const std::string& input, bool force,
                           const std::string& out_dir) {
  std::vector<fs::path> made;  // deepest first
  std::error_code ec;
  fs::path deepest = fs::path(out_dir).lexically_normal();
  if (!deepest.has_filename()) deepest = deepest.parent_path();  // "out/"
  for (fs::path at = deepest; !at.empty() && !fs::exists(at, ec); at = at.parent_path()) {
    made.push_back(at);
    if (at == at.parent_path()) break;
  }
  try {
    write_job_output(outcome, output, input, force, true);
  } catch (...) {
    for (const fs::path& folder : made) {
      if (!fs::remove(folder, ec)) break;  // not empty, or not ours to remove: stop there
    }
    throw;
  }
}

// Runs one job; on failure prints "kmq: <file>: <reason>" and returns its code.
exit_code run_one(const compress_settings& s, const planned_job& planned, backend& engine) {
  const bool png_on_stdout = planned.output == standard_stream;
  image_job job = s.job;
  job.input = planned.input == standard_stream ? stdin_path : planned.input;
  job.output = png_on_stdout ? std::string() : planned.output;
  // Not there yet (--out-dir): made and written below, once there is a PNG.
  std::error_code ec;
  const bool make_folder = !s.out_dir.empty() && !fs::is_directory(s.out_dir, ec);
  if (make_folder) job.output.clear();
  // What messages call the input: standard input as the summary line names it.
  const std::string shown_input = planned.input == standard_stream ? "(standard input)" : job.input;
  std::string reason, about = shown_input;  // what the message names: the input, or the output at fault
  std::string kind = "internal";
  exit_code code = exit_internal;
  try {
    // The only clash a folder not yet there allows: DIR/.. back to the input.
    if (make_folder && same_file(job.input, planned.output)) {
      throw error(error_kind::invalid_argument, planned.output, "is the same file as the input " + job.input);
    }
    const bool show_progress = !s.quiet && !s.json && ::isatty(STDERR_FILENO) == 1;
    // With extra files the PNG is written last, after them, so that a failed
    // write of any leaves none of the run's files (the extras are removed);
    // with --skip-if-larger it is written once its size is known.
    const bool png_after_extras = (s.extra.any() || s.skip_if_larger) && !job.output.empty();
    if (s.extra.any()) job.keep_decoded = needs_decoded(s.extra);
    if (png_after_extras) {
      io::check_output_path(job.input, job.output, job.force);  // before the work, as run_job would
      job.output.clear();
    }
    job_outcome outcome;
    {
      progress_line progress(shown_input, run_count(job.quantize.kmeans), show_progress, s.quiet);
      outcome = run_job(job, engine, &progress);
    }
    if (s.skip_if_larger && outcome.png.size() > outcome.input_bytes) {
      print_skipped(s, job, outcome, png_on_stdout, shown_input);
      // A pipe that waits for a PNG gets none: said in the code too, as pngquant does.
      return png_on_stdout ? exit_skipped_larger : exit_ok;
    }
    if (make_folder) write_into_new_folder(outcome, planned.output, job.input, job.force, s.out_dir);
    // Where the PNG goes, for the report rendered before it is written (a
    // failed write fails the run and takes the report away again).
    if (png_after_extras) outcome.output = planned.output;
    if (png_on_stdout) outcome.output = "(standard output)";
    const std::vector<std::string> extras =
        s.extra.any() ? write_extra_outputs(s.extra, job, outcome, s.command_line, job.force) : std::vector<std::string>();
    try {
      if (png_after_extras) write_job_output(outcome, planned.output, job.input, job.force, false);
      if (png_on_stdout) write_to_stdout(outcome.png);
    } catch (...) {
      remove_written(extras);
      throw;
    }
    if (planned.input == standard_stream) outcome.input = "(standard input)";
    print(s, job, outcome, png_on_stdout);
    return exit_ok;
  } catch (const error& e) {
    code = exit_code_for(e.kind());
    kind = kind_name(e.kind());
    reason = e.what();
    if (!e.path().empty() && e.path() != job.input) about = e.path();
  } catch (const std::bad_alloc&) {
    kind = kind_name(error_kind::out_of_memory);
    reason = "out of memory";
  } catch (const std::exception& e) {
    reason = std::string("internal error: ") + e.what();
  }
  std::cerr << terminal_text("kmq: " + about + ": " + reason) << '\n';
  if (s.json) {
    // One JSON line for a failed input too, so a script reading --json sees every input.
    (png_on_stdout ? std::cerr : std::cout)
        << json_line(failure_json(shown_input, code, kind, about == shown_input ? reason : about + ": " + reason)) << '\n'
        << std::flush;
  }
  return code;
}

// The run's backend. Under auto, one that may be a GPU is made on a thread of
// its own while the first image decodes, as kmq batch does. --backend cuda is
// made here, so that a device that is missing or fails to start fails the run
// once (69) before any output. The probe stays here too (-v says why auto
// uses the CPU); on the H100 machines of results/gpu/ it turned out to be most
// of the 290-362 ms start-up (kmq_command_complete.md).
std::unique_ptr<backend> backend_for_run(backend_choice choice, const compress_settings& settings,
                                         std::unique_ptr<backend_starter>& starter) {
  if (choice != backend_choice::automatic) return make_backend(choice, settings.threads);
  const cuda_status cuda = cuda_probe();
  if (!cuda.available) {
    if (settings.verbose && !settings.quiet) std::cerr << "kmq: no CUDA device (" << cuda.reason << "); using the CPU\n";
    return make_backend(choice, settings.threads);
  }
  const int threads = settings.threads;
  starter = std::make_unique<backend_starter>(
      1, [choice, threads](std::size_t, const backend_starter&) { return make_backend(choice, threads); });
  starter->start();
  return starter->deferred(0);
}

// "-o - 1<> photo.jpg" (or ">> photo.jpg") points standard output at the
// input itself: writing would destroy it, as -o photo.jpg would.
void refuse_standard_output_onto_input(const std::string& input) {
  struct stat out {}, in {};
  if (::fstat(STDOUT_FILENO, &out) != 0 || !S_ISREG(out.st_mode)) return;
  const int read_from = input == standard_stream ? ::fstat(STDIN_FILENO, &in) : ::stat(input.c_str(), &in);
  if (read_from == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
    throw error(error_kind::invalid_argument, "-o -",
                "standard output is the input file " + (input == standard_stream ? std::string("(standard input)") : input) +
                    "; redirect it to another file");
  }
}

}  // namespace

int run_compress(const compress_settings& settings) {
  const std::vector<planned_job> jobs = plan_jobs(settings.inputs, settings.output, settings.out_dir);
  if (settings.extra.any()) {
    if (jobs.size() != 1 || !settings.out_dir.empty()) {
      throw error(error_kind::invalid_argument, "--palette-out, --labels-out and --report take one input and -o");
    }
    const std::string& output = jobs[0].output;
    check_extra_outputs(settings.extra, jobs[0].input, output == standard_stream ? std::string() : output,
                        settings.job.force);
  }
  if (settings.output == standard_stream && ::isatty(STDOUT_FILENO) == 1) {
    throw error(error_kind::invalid_argument, "-o -",
                "standard output is a terminal; redirect it to a file or a pipe for the PNG");
  }
  if (settings.output == standard_stream) refuse_standard_output_onto_input(jobs[0].input);
  std::vector<std::string> inputs;
  for (const planned_job& planned : jobs) inputs.push_back(planned.input);
  const backend_decision decision = decide_backend(settings.backend, inputs, auto_gpu_min_pixels(settings.threads));
  if (settings.verbose && !settings.quiet && !decision.why.empty()) std::cerr << "kmq: " << decision.why << '\n';
  std::unique_ptr<backend_starter> starter;  // outlives the deferred backend it hands out
  const std::unique_ptr<backend> engine = backend_for_run(decision.choice, settings, starter);
  // DIR is made when its first output is written (run_one): a run whose
  // every input fails leaves none behind. Something else by that name fails now.
  std::error_code ec;
  if (!settings.out_dir.empty() && !fs::is_directory(settings.out_dir, ec)) {
    if (fs::exists(settings.out_dir, ec)) throw error(error_kind::output_failed, settings.out_dir, "is not a directory");
    check_folder_can_be_made(settings.out_dir);
  }
  int first_failure = exit_ok;
  for (const planned_job& planned : jobs) {
    const exit_code code = run_one(settings, planned, *engine);
    if (code != exit_ok && first_failure == exit_ok) first_failure = code;
  }
  return first_failure;
}

}  // namespace kmq::cli
