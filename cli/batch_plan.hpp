// kmq batch: which files are inputs and which output each one gets, decided
// from the sorted list before any image is touched, so that every shard of a
// job array computes the same list and the same names.
#pragma once
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace kmq::cli {

struct batch_input {
  std::string input;     // the path read
  std::string relative;  // its path below its source, mirrored under OUTDIR
  std::string output;    // OUTDIR/<relative's folder>/<name>.png, after the clash rule
  std::string refused;   // when not empty: not run, a usage failure with this reason
};

// Files seen and left out, by reason.
struct walk_counts {
  std::uint64_t hidden = 0;           // a name starting with '.' (files, and folders not entered)
  std::uint64_t not_image = 0;        // an extension that is none of the image formats
  std::uint64_t kmq_outputs = 0;      // files kmq wrote (user.kmq.origin)
  std::uint64_t links_skipped = 0;    // links to folders (never followed), or leading out of the source, or dangling
  std::uint64_t other = 0;            // sockets, FIFOs, devices; folders without -r
};

struct plan_request {
  std::vector<std::string> sources;  // folders or files; with a list, at most one: the base of its paths
  std::string out_dir;
  bool recursive = false;
  std::optional<std::vector<std::string>> listed;  // --files-from
};

struct batch_plan {
  std::vector<batch_input> inputs;  // sorted: by source, then relative path (bytes); outputs assigned
  walk_counts left_out;
  std::vector<std::pair<std::string, std::string>> unlistable;  // folder, reason: failures, not fatal
};

// Walks the sources (symbolic links to folders are never followed, links to
// files only when they resolve inside their source; OUTDIR is not entered
// when it lies inside a source), sorts, and applies the clash rule. Throws
// error(input_unreadable) when a source is missing or cannot be listed,
// error(invalid_argument) for mistakes in the arguments.
batch_plan plan_batch(const plan_request& request);

// Keeps the first of inputs that name the same file by any spelling
// ("t/a.png", "./t/a.png", a source given twice, a folder and a file in it):
// one file, one output. Two names of one file (a symbolic or hard link)
// stay two inputs, as the tree they mirror has both.
void drop_repeated_inputs(std::vector<batch_input>& inputs);

// The clash rule, on inputs whose relative paths are set, in their order:
// in each output folder, first the inputs already ending in .png, then the
// others, each in list order, claim <stem>.png; an input whose claim is taken
// gets <file name>.png (a.jpg -> a.jpg.png), then <file name>.1.png, .2, ...
// Never loses an input; depends only on the list.
void assign_outputs(std::vector<batch_input>& inputs, const std::string& out_dir);

// --manifest that is one of the inputs (its lines would be appended to an
// image) or one of the planned outputs (a PNG would replace it): throws
// error(invalid_argument), before anything is made.
void refuse_manifest_among_files(const std::string& manifest, const std::vector<batch_input>& inputs);

// --files-from: names separated by newlines (empty lines skipped), or by NULs.
std::vector<std::string> read_name_list(std::istream& in, bool nul_separated);

struct shard {
  std::size_t index = 0, count = 1;
};

// "I/N", or "auto": SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN, divided
// by SLURM_ARRAY_TASK_STEP when set) of SLURM_ARRAY_TASK_COUNT, else
// JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) of shard_count. getenv is
// the environment to read. Throws error(invalid_argument).
shard parse_shard(const std::string& text, std::optional<std::size_t> shard_count,
                  const std::function<const char*(const char*)>& getenv);

// The inputs whose index in the sorted list is index mod count.
std::vector<batch_input> take_shard(const std::vector<batch_input>& all, const shard& slice);

}  // namespace kmq::cli
