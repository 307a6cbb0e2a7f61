#include "job_plan.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "batch_plan.hpp"
#include "kmq/error.hpp"
#include "kmq/io/output_file.hpp"
#include "kmq/stopwatch.hpp"

namespace fs = std::filesystem;

namespace kmq::cli {
namespace {

bool looks_like_image(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const known[] = {".png", ".jpg", ".jpeg", ".jpe", ".webp", ".tif", ".tiff", ".bmp"};
  return std::find(std::begin(known), std::end(known), ext) != std::end(known);
}

[[noreturn]] void usage(const std::string& path, const std::string& reason) {
  throw error(error_kind::invalid_argument, path, reason);
}

bool ends_in_png(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png";
}

}  // namespace

std::vector<planned_job> plan_jobs(const std::vector<std::string>& inputs, const std::string& output,
                                   const std::string& out_dir) {
  if (inputs.empty()) usage("", "no input (try: kmq compress photo.jpg -o photo.png)");
  if (output.empty() == out_dir.empty()) usage("", "give exactly one of -o/--output and --out-dir");
  if (!output.empty()) {
    if (inputs.size() != 1) usage("", "-o takes one input; use --out-dir for several");
    std::error_code ec;
    if (fs::is_directory(inputs[0], ec)) usage(inputs[0], "is a directory; use --out-dir");
    // Palette PNG bytes under another extension would mislead every viewer.
    if (output != standard_stream && !ends_in_png(output)) {
      usage(output, "does not end in .png (kmq writes PNG files; name the output *.png)");
    }
    return {{inputs[0], output}};
  }
  // Outputs follow kmq batch's clash rule (batch_plan.hpp), every input
  // counted as sitting directly in its folder: a.jpg and a.png both get an
  // output, never one for the two of them.
  std::vector<batch_input> planned;
  auto add = [&](const fs::path& input) { planned.push_back({input.string(), input.filename().string(), {}, {}}); };
  std::vector<std::string> empty_directories;
  for (const std::string& input : inputs) {
    if (input == standard_stream) usage(input, "standard input takes -o, not --out-dir");
    std::error_code ec;
    if (!fs::is_directory(input, ec)) {
      add(input);
      continue;
    }
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(input, ec)) {
      // What kmq wrote (marked with its origin) is an output, never an input:
      // a run into the directory it reads can be repeated. Hidden names
      // (".h.jpg", macOS's "._IMG.jpg") are left out, as kmq batch does.
      const std::string name = entry.path().filename().string();
      if (!name.empty() && name[0] != '.' && entry.is_regular_file(ec) && looks_like_image(entry.path()) &&
          io::kmq_output_origin(entry.path().string()).empty()) {
        found.push_back(entry.path());
      }
    }
    if (ec) throw error(error_kind::input_unreadable, input, "cannot list directory: " + ec.message());
    std::sort(found.begin(), found.end());
    for (const fs::path& path : found) add(path);
    if (found.empty()) empty_directories.push_back(input);
  }
  // Nothing to do is said, not done silently, and leaves no output directory behind.
  if (planned.empty()) {
    std::string where;
    for (const std::string& dir : empty_directories) where += (where.empty() ? "" : ", ") + dir;
    throw error(error_kind::input_unreadable, where,
                "no images found (looked for .png .jpg .jpeg .jpe .webp .tif .tiff .bmp, not in subdirectories)");
  }
  drop_repeated_inputs(planned);
  assign_outputs(planned, out_dir);
  std::vector<planned_job> jobs;
  for (const batch_input& in : planned) jobs.push_back({in.input, in.output});
  return jobs;
}

std::string resolved_path(const std::string& path) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  if (ec) return path;
  const fs::path folder = fs::weakly_canonical(absolute.parent_path(), ec);
  return ec ? path : (folder / absolute.filename()).string();
}

bool same_file(const std::string& a, const std::string& b) {
  // Absolute first: weakly_canonical leaves a relative path relative when
  // nothing of it exists yet ("o.png" against "./o.png").
  std::error_code ea, eb;
  const fs::path ca = fs::weakly_canonical(fs::absolute(a, ea), ea), cb = fs::weakly_canonical(fs::absolute(b, eb), eb);
  if (!ea && !eb && ca == cb) return true;
  std::error_code same_error;
  return fs::equivalent(a, b, same_error) && !same_error;
}

void check_folder_can_be_made(const std::string& folder) {
  std::error_code ec;
  fs::path at = fs::absolute(folder, ec).lexically_normal();
  while (at.has_relative_path() && !fs::exists(at, ec)) at = at.parent_path();
  if (!fs::is_directory(at, ec)) throw error(error_kind::output_failed, folder, at.string() + " is not a directory");
  if (::access(at.c_str(), W_OK | X_OK) != 0) {
    throw error(error_kind::output_failed, folder, "cannot create it in " + at.string() + ": " + std::strerror(errno));
  }
}

void write_job_output(job_outcome& outcome, const std::string& output, const std::string& input, bool force,
                      bool make_folder) {
  const detail::stopwatch writing;
  if (make_folder) {
    const fs::path folder = fs::path(output).parent_path();
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw error(error_kind::output_failed, folder.string(), "cannot create folder: " + ec.message());
    io::check_output_path(input, output, force);  // checked only now: the folder was not there
  }
  io::write_file_atomically(output, outcome.png, force, input);
  outcome.output = output;
  outcome.seconds.write = writing.seconds();
  outcome.seconds.total += outcome.seconds.write;
}

}  // namespace kmq::cli
