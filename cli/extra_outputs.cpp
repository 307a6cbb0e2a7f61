#include "extra_outputs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <utility>

#include "kmq/error.hpp"
#include "kmq/io/output_file.hpp"
#include "kmq/pipeline/palette_files.hpp"
#include "kmq/pipeline/report_html.hpp"
#include "job_plan.hpp"

namespace kmq::cli {
namespace {

std::string extension_of(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

void require_extension(const std::string& path, const std::string& flag, std::initializer_list<const char*> allowed) {
  const std::string ext = extension_of(path);
  std::string names;
  for (const char* a : allowed) {
    if (ext == a) return;
    names += (names.empty() ? "" : ", ") + std::string(a);
  }
  throw error(error_kind::invalid_argument, path, flag + " writes " + names + " files; name it so");
}

std::vector<std::uint8_t> bytes_of(const std::string& text) { return std::vector<std::uint8_t>(text.begin(), text.end()); }

}  // namespace

void check_extra_outputs(const extra_outputs& extra, const std::string& input, const std::string& output,
                         bool force) {
  if (!extra.palette.empty()) require_extension(extra.palette, "--palette-out", {".gpl", ".json", ".png"});
  if (!extra.labels.empty()) require_extension(extra.labels, "--labels-out", {".png"});
  if (!extra.report.empty()) require_extension(extra.report, "--report", {".html", ".htm"});
  // Each file is written on its own: two that name one file would leave the
  // last written there (with --force) or fail after the first (without).
  const std::pair<const std::string*, const char*> named[] = {
      {&output, "-o"}, {&extra.palette, "--palette-out"}, {&extra.labels, "--labels-out"}, {&extra.report, "--report"}};
  for (std::size_t i = 1; i < std::size(named); ++i) {
    if (named[i].first->empty()) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (!named[j].first->empty() && same_file(*named[i].first, *named[j].first)) {
        throw error(error_kind::invalid_argument, *named[i].first,
                    std::string(named[i].second) + " names the same file as " + named[j].second);
      }
    }
  }
  for (const std::string* path : {&extra.palette, &extra.labels, &extra.report}) {
    if (!path->empty()) io::check_output_path(input, *path, force);
  }
}

bool needs_decoded(const extra_outputs& extra) { return !extra.labels.empty() || !extra.report.empty(); }

std::vector<std::string> write_extra_outputs(const extra_outputs& extra, const image_job& job,
                                             const job_outcome& outcome, const std::string& command_line, bool force) {
  const quantize_result& q = outcome.quantized;
  // Every file's bytes first (rendering can fail too), then the writes.
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> files;
  if (!extra.palette.empty()) {
    const std::string ext = extension_of(extra.palette);
    const std::string name = std::filesystem::path(job.input).stem().string();
    files.emplace_back(extra.palette, ext == ".png"    ? palette_swatch_png(q.palette, q.usage)
                                      : ext == ".json" ? bytes_of(palette_json(q.palette, q.usage))
                                                       : bytes_of(palette_gpl(q.palette, q.usage, name)));
  }
  if (!extra.labels.empty()) files.emplace_back(extra.labels, labels_false_colour_png(outcome.labels, q.palette.size()));
  if (!extra.report.empty()) {
    report_context context;
    context.command_line = command_line;
    context.version = KMQ_VERSION;
    files.emplace_back(extra.report, bytes_of(render_report_html(job, outcome, context)));
  }
  std::vector<std::string> written;  // the files this run created (not those it replaced under --force)
  try {
    for (const auto& [path, bytes] : files) {
      struct stat before {};
      const bool existed = ::lstat(path.c_str(), &before) == 0;
      io::write_file_atomically(path, bytes, force, job.input);
      if (!existed) written.push_back(path);
    }
  } catch (...) {
    remove_written(written);
    throw;
  }
  return written;
}

void remove_written(const std::vector<std::string>& written) {
  for (const std::string& path : written) ::unlink(path.c_str());
}

}  // namespace kmq::cli
