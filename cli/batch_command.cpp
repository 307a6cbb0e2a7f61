#include "batch_command.hpp"

#include <cxxopts.hpp>

#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <new>
#include <thread>

#include "backend_policy.hpp"
#include "batch_job.hpp"
#include "batch_manifest.hpp"
#include "batch_plan.hpp"
#include "batch_progress.hpp"
#include "kmq/backend_starter.hpp"
#include "kmq/io/output_file.hpp"
#include "kmq/pipeline/outcome_report.hpp"
#include "kmq/pipeline/run_job.hpp"
#include "kmq/usable_cores.hpp"

namespace fs = std::filesystem;

namespace kmq::cli {
namespace {

const char* const help_epilogue = R"(
Every image under SRC (in subfolders too with -r) becomes OUTDIR/<same relative
path>.png. In one output folder, inputs that would share a name (a.jpg and
a.png) are told apart by the clash rule: .png inputs first, then the others,
in byte order of their paths, take <stem>.png; a later one takes <file name>.png
(a.jpg.png), then <file name>.1.png, .2, ... Hidden files, other files and what
kmq wrote itself are left out and counted; links to folders are not followed,
links to files only when they stay inside SRC. Inputs are never modified.

Examples:
  kmq batch photos/ -r -d out/ -k 32                     a tree, mirrored
  kmq batch photos/ -r -d out/ --manifest out/m.jsonl --skip-existing   resumable
  find . -name '*.png' -print0 | kmq batch --files-from - -0 -d ../out
  kmq batch photos/ -r -d out/ --shard auto              one task of a Slurm job array

Exit codes: 0 every input written or skipped, 1 some inputs failed (each is
reported; the others are written), 64 usage, 66 no source or no image found,
69 --backend cuda without a device, 73 OUTDIR or the manifest cannot be
written, 130 stopped by SIGINT/SIGTERM (images in flight dropped, manifest
flushed, summary printed).
)";

// Set by SIGINT/SIGTERM (the signal number); a second one kills at once.
std::atomic<int> stop_signal{0};
// Set when the run cannot go on (the manifest cannot be written).
std::atomic<bool> stop_run{false};

bool stopping() { return stop_signal.load() != 0 || stop_run.load(); }

extern "C" void on_stop_signal(int sig) {
  if (stop_signal.exchange(sig) != 0) {
    io::remove_interrupted_temporaries();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

// For the batch run only: SIGINT and SIGTERM ask the workers to stop.
class stop_signals {
 public:
  stop_signals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    for (const int sig : {SIGINT, SIGTERM}) {
      struct sigaction& old = sig == SIGINT ? old_int_ : old_term_;
      ::sigaction(sig, nullptr, &old);
      // Ignored where kmq started (`kmq batch ... &` in a script, which the shell
      // starts with SIGINT ignored): whoever started it asked that it not stop it.
      if ((old.sa_flags & SA_SIGINFO) == 0 && old.sa_handler == SIG_IGN) continue;
      ::sigaction(sig, &action, nullptr);
    }
  }
  ~stop_signals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

std::string left_out_text(const walk_counts& c) {
  std::string text;
  auto add = [&](std::uint64_t n, const char* what) {
    if (n) text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(c.hidden, "hidden");
  add(c.not_image, "not images");
  add(c.kmq_outputs, "written by kmq");
  add(c.links_skipped, "links not followed");
  add(c.other, c.other == 1 ? "other (folder without -r, device, FIFO)" : "others (folders without -r, devices, FIFOs)");
  return text;
}

// Test-only (KMQ_TEST_BACKENDS_AFTER_A_DECODE=1, see the README): under auto and cpu, the backends are
// made only once a worker has decoded an image and asks for its backend, so a batch that makes them
// before its workers decode fails (after a bounded wait) instead of passing.
constexpr std::chrono::seconds test_hook_wait{20};

// --backend auto is decided once for the collection, as kmq compress decides it for its inputs (the CPU,
// without starting CUDA, when every image is small by its header): on the starter's thread, so the
// headers are read beside the first decodes.
backend_starter::factory backend_factory(const batch_settings& s, const std::vector<batch_input>& inputs) {
  const char* hook = std::getenv("KMQ_TEST_BACKENDS_AFTER_A_DECODE");
  const bool after_a_decode = hook != nullptr && std::string(hook) == "1" && s.image.backend != backend_choice::cuda;
  return [&s, &inputs, after_a_decode, choice = s.image.backend](std::size_t index,
                                                                  const backend_starter& starter) mutable {
    if (index == 0) {
      if (after_a_decode && !starter.wait_requested(test_hook_wait)) {
        throw error(error_kind::internal, "KMQ_TEST_BACKENDS_AFTER_A_DECODE: no worker asked for its backend within " +
                                              std::to_string(test_hook_wait.count()) + " s");
      }
      std::vector<std::string> paths;
      paths.reserve(inputs.size());
      for (const batch_input& in : inputs) paths.push_back(in.input);
      choice = decide_backend(choice, paths, batch_auto_gpu_min_pixels_in_force()).choice;
    }
    return make_backend(choice, s.image.threads);
  };
}

}  // namespace

batch_settings parse_batch_options(int argc, char** argv, bool& show_help, std::string& help_text) {
  cxxopts::Options options("kmq batch", "Quantize every image under the sources into palette PNGs under OUTDIR.");
  options.custom_help("SRC... -d OUTDIR [-r] [--jobs N] [--manifest FILE.jsonl] [--skip-existing] [options]");
  options.positional_help("");
  auto text = [] { return cxxopts::value<std::string>(); };
  options.add_options()
    ("d,out-dir", "output folder; each input becomes OUTDIR/<its path below SRC>.png", text(), "OUTDIR")
    ("r,recursive", "walk subfolders too")
    ("jobs", "images at once (worker threads, each with its own backend); default: one per core", text(), "N")
    ("skip-existing", "skip inputs whose output exists (with --manifest: and whose entry says done with the same settings)")
    ("skip-if-larger", "keep no output that would be larger than its input (counted, not an error)")
    ("files-from", "read the inputs from FILE (- = standard input), one per line, below SRC (default .)", text(), "FILE")
    ("0,null", "--files-from names are separated by NUL characters (find -print0)")
    ("shard", "I/N: only the inputs whose index in the sorted list is I mod N; auto: from Slurm or Kubernetes",
     text(), "I/N|auto")
    ("shard-count", "N for --shard auto under a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)", text(), "N")
    ("manifest", "append one JSON line per input to FILE (read back by --skip-existing)", text(), "FILE.jsonl")
    ("progress", "auto (a bar on a terminal, else plain lines), bar, plain or none", text()->default_value("auto"), "MODE")
    ("json", "also print every manifest line on stdout")
    ("q,quiet", "no progress and no summary (failures are still reported)")
    ("h,help", "show this help")
    ("sources", "source folders or files", cxxopts::value<std::vector<std::string>>());
  add_job_options(options, "1");
  options.parse_positional({"sources"});
  batch_settings s;
  try {
    const cxxopts::ParseResult parsed = options.parse(argc, argv);
    help_text = options.help({"", "image"}) + help_epilogue;
    show_help = parsed.count("help") > 0;
    if (show_help) return s;
    if (parsed.count("sources")) s.sources = parsed["sources"].as<std::vector<std::string>>();
    if (parsed.count("out-dir")) s.out_dir = parsed["out-dir"].as<std::string>();
    s.recursive = parsed.count("recursive") > 0;
    if (parsed.count("jobs")) s.jobs = static_cast<int>(parse_whole_number("--jobs", parsed["jobs"].as<std::string>(), 1, 1024));
    s.skip_existing = parsed.count("skip-existing") > 0;
    s.skip_if_larger = parsed.count("skip-if-larger") > 0;
    if (parsed.count("files-from")) s.files_from = parsed["files-from"].as<std::string>();
    s.nul_separated = parsed.count("null") > 0;
    if (s.nul_separated && s.files_from.empty()) throw error(error_kind::invalid_argument, "-0 goes with --files-from");
    if (parsed.count("shard")) s.shard = parsed["shard"].as<std::string>();
    if (parsed.count("shard-count")) {
      s.shard_count = parse_whole_number("--shard-count", parsed["shard-count"].as<std::string>(), 1, 1u << 30);
    }
    if (parsed.count("manifest")) s.manifest = parsed["manifest"].as<std::string>();
    s.progress = parsed["progress"].as<std::string>();
    parse_progress_mode(s.progress, false);  // checked now
    s.json = parsed.count("json") > 0;
    s.quiet = parsed.count("quiet") > 0;
    s.image = read_job_options(parsed);
  } catch (const cxxopts::exceptions::exception& e) {
    throw error(error_kind::invalid_argument, e.what());
  }
  if (s.out_dir.empty()) throw error(error_kind::invalid_argument, "give the output folder: -d/--out-dir OUTDIR");
  if (s.sources.empty() && s.files_from.empty()) throw error(error_kind::invalid_argument, "no source (try: kmq batch photos/ -r -d out/)");
  return s;
}

int run_batch(const batch_settings& s) {
#ifdef M_MMAP_THRESHOLD
  // An image's large buffers (pixels, histogram, label map, PNG) come and go with every image. glibc's
  // dynamic mmap threshold moves them into the heap after the first one is freed, where their holes
  // fragment and the peak grows with the collection (+50% after six 4096x4096 images, --jobs 1). A fixed
  // threshold keeps them mmapped, so freed memory goes back at once and the bound in the README holds.
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  plan_request request{s.sources, s.out_dir, s.recursive, std::nullopt};
  if (!s.files_from.empty()) {
    if (s.files_from == "-") {
      request.listed = read_name_list(std::cin, s.nul_separated);
    } else {
      std::ifstream list(s.files_from, std::ios::binary);
      if (!list) throw error(error_kind::input_unreadable, s.files_from, "cannot read the list (--files-from)");
      request.listed = read_name_list(list, s.nul_separated);
    }
  }
  std::optional<shard> slice;
  if (!s.shard.empty()) slice = parse_shard(s.shard, s.shard_count, [](const char* name) { return std::getenv(name); });
  else if (s.shard_count) throw error(error_kind::invalid_argument, "--shard-count goes with --shard auto");

  const batch_plan plan = plan_batch(request);
  if (plan.inputs.empty() && plan.unlistable.empty()) {
    std::string where;
    for (const std::string& source : s.sources) where += (where.empty() ? "" : ", ") + source;
    if (!s.files_from.empty()) where += (where.empty() ? "" : ", ") + std::string("--files-from ") + s.files_from;
    const std::string left = left_out_text(plan.left_out);
    throw error(error_kind::input_unreadable, where,
                std::string("no images found (looked for .png .jpg .jpeg .jpe .webp .tif .tiff .bmp") +
                    (s.recursive ? "" : ", not in subfolders: -r walks them") + ")" + (left.empty() ? "" : "; left out: " + left));
  }
  refuse_manifest_among_files(s.manifest, plan.inputs);  // every shard's files, not only this one's
  const std::vector<batch_input> inputs = slice ? take_shard(plan.inputs, *slice) : plan.inputs;
  const bool report_unlistable = !slice || slice->index == 0;

  int jobs = s.jobs > 0 ? s.jobs : usable_cores();
  jobs = static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(jobs), inputs.size())));
  // The backends are made on a thread of their own, begun by the first image that is not skipped, while
  // the workers decode; a worker waits for its backend at its first clustering call.
  backend_starter starter(static_cast<std::size_t>(jobs), backend_factory(s, inputs));
  std::vector<std::unique_ptr<backend>> engines;
  for (int i = 0; i < jobs; ++i) engines.push_back(starter.deferred(static_cast<std::size_t>(i)));
  // Except for --backend cuda, which must answer before OUTDIR: without a device (69) it leaves no
  // folder and no manifest. The last backend is made after all the others, and a failure reaches
  // every later one, so this waits for them all. (auto never fails for want of a GPU.)
  if (s.image.backend == backend_choice::cuda) starter.get(engines.size() - 1);

  std::error_code ec;
  // The folders made here, deepest first: taken away again if the manifest
  // cannot be opened, so that a run that does nothing leaves nothing. Never
  // later: another run or shard may be writing into them by then.
  std::vector<fs::path> made;
  fs::path deepest = fs::absolute(s.out_dir, ec).lexically_normal();
  if (deepest.filename().empty()) deepest = deepest.parent_path();  // "new/" names "new"
  for (fs::path at = deepest; at.has_relative_path() && !fs::exists(at, ec); at = at.parent_path()) {
    made.push_back(at);
  }
  fs::create_directories(s.out_dir, ec);
  if (ec) throw error(error_kind::output_failed, s.out_dir, "cannot create output folder: " + ec.message());
  if (!fs::is_directory(s.out_dir, ec)) throw error(error_kind::output_failed, s.out_dir, "is not a folder");
  if (::access(s.out_dir.c_str(), W_OK | X_OK) != 0) {
    throw error(error_kind::output_failed, s.out_dir, std::string("cannot write in the output folder: ") + std::strerror(errno));
  }

  batch_context context{s, params_string(s.image.job), "", nullptr, &starter};
  context.hash = params_hash(context.params);
  manifest_record done;
  if (!s.manifest.empty() && s.skip_existing) {
    done = read_manifest(s.manifest);
    context.done = &done;
  }
  std::unique_ptr<manifest_writer> writer;
  try {
    if (!s.manifest.empty()) writer = std::make_unique<manifest_writer>(s.manifest);
  } catch (...) {
    for (const fs::path& folder : made) {
      if (!fs::remove(folder, ec)) break;  // not empty (not ours alone): stop there
    }
    throw;
  }

  stop_signal.store(0);
  stop_run.store(false);
  const stop_signals signals;
  const progress_mode mode = s.quiet ? progress_mode::none : parse_progress_mode(s.progress, ::isatty(STDERR_FILENO) == 1);
  batch_progress progress(mode, jobs);
  batch_counts counts;
  counts.total = inputs.size() + (report_unlistable ? plan.unlistable.size() : 0);

  std::mutex mutex;
  std::condition_variable ready;
  std::deque<job_result> results;
  int running = jobs;
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < jobs; ++w) {
    workers.emplace_back([&, w] {
      for (;;) {
        if (stopping()) break;
        const std::size_t i = next.fetch_add(1);
        if (i >= inputs.size()) break;
        job_result r = process_input(context, inputs[i], *engines[static_cast<std::size_t>(w)], stopping);
        std::lock_guard<std::mutex> lock(mutex);
        results.push_back(std::move(r));
        ready.notify_one();
      }
      std::lock_guard<std::mutex> lock(mutex);
      --running;
      ready.notify_one();
    });
  }

  bool manifest_failed = false;
  auto record = [&](job_result& r) {
    switch (r.status) {
      case result_status::ok:
        ++counts.done;
        counts.bytes_in += r.in_bytes;
        counts.bytes_in_written += r.in_bytes;
        counts.bytes_out += r.out_bytes;
        break;
      case result_status::skipped_larger:
        ++counts.skipped_larger;
        counts.bytes_in += r.in_bytes;
        break;
      case result_status::skipped: ++counts.skipped; break;
      case result_status::failed:
        ++counts.failed;
        progress.message(r.message, counts);
        break;
      case result_status::cancelled: ++counts.cancelled; return;
    }
    if (writer && !manifest_failed) {
      try {
        writer->append(r.line);
      } catch (const error& e) {
        manifest_failed = true;
        stop_run.store(true);
        progress.message("kmq: " + e.describe(), counts);
      }
    }
    if (s.json) std::cout << json_line(r.line) << '\n' << std::flush;
  };
  if (report_unlistable) {
    for (const auto& [folder, reason] : plan.unlistable) {
      job_result r;
      r.line = {{"input", folder}, {"params", context.params}, {"params_hash", context.hash}};
      r = failure(r, folder, error_kind::input_unreadable, reason);
      record(r);
    }
  }
  progress.update(counts);
  for (;;) {
    std::deque<job_result> batch;
    bool finished = false;
    {
      std::unique_lock<std::mutex> lock(mutex);
      ready.wait_for(lock, std::chrono::milliseconds(100), [&] { return !results.empty() || running == 0; });
      batch.swap(results);
      finished = running == 0;
    }
    for (job_result& r : batch) record(r);
    progress.update(counts);
    if (finished) break;
  }
  for (std::thread& t : workers) t.join();
  for (job_result& r : results) record(r);
  counts.cancelled = counts.total - counts.finished();

  if (writer && !manifest_failed) {
    try {
      writer->close();
    } catch (const error& e) {
      manifest_failed = true;
      progress.message("kmq: " + e.describe(), counts);
    }
  }
  progress.finish();
  const bool interrupted = stop_signal.load() != 0;
  if (!s.quiet) {
    if (interrupted) std::cerr << "kmq batch: interrupted; the images in flight were dropped (--skip-existing resumes)\n";
    std::cerr << summary_text(counts, progress.seconds(), left_out_text(plan.left_out)) << '\n' << std::flush;
  }
  if (interrupted) return exit_cancelled;
  if (manifest_failed) return exit_cant_create;
  return counts.failed ? 1 : exit_ok;
}

}  // namespace kmq::cli
