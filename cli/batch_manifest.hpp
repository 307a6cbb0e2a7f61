// kmq batch --manifest FILE.jsonl: one JSON line per input, appended and
// flushed as each input ends, so a killed run leaves whole lines (and at most
// one torn last line, which reading ignores); and the record a resumed run
// (--skip-existing) reads to know what is done, with which settings.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "kmq/pipeline/image_job.hpp"

namespace kmq::cli {

// The settings that decide an output's bytes, as text:
// "k=16 seed=0 max_iter=100 tol=0.0001 init=kmeans++ restarts=auto dither=none png_level=6 output_revision=14"
// (quality=MIN-MAX instead of k= with --quality/--level; " space=oklab" before the
// revision with --space oklab; the revision: kmq/output_revision.hpp).
// Threads, backend, de-duplication and limits are left out: they do not change a byte.
std::string params_string(const image_job& job);
// FNV-1a 64 of it, 16 hex digits.
std::string params_hash(const std::string& params);

// The size and modification time of a file, to tell an input that changed.
struct file_stamp {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const file_stamp& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
};
bool stamp_of(const std::string& path, file_stamp& stamp);  // false when it cannot be read

// FNV-1a 64 of a path made absolute, its folder resolved (resolved_path),
// its bytes as they are, 16 hex digits: what a resumed run matches inputs and
// outputs by first, so that `photos`, `./photos` and `/home/me/photos` name
// one input, and two names that differ only in bytes that are not UTF-8 stay
// two. Empty for an empty path.
std::string path_id(const std::string& path);

// What the manifest says was last done to an input: its last line with
// status ok or skipped_larger (failed and skipped lines change nothing).
struct manifest_entry {
  std::string status, output, output_id, params;
  file_stamp input;
};

// Those entries by input_id, and by "input" as written (as_json_text): a
// tree moved or mounted elsewhere and run with the same arguments is found
// by its names (its stamps and settings still decide), as are the lines of a
// kmq before output revision 22, which have no ids.
struct manifest_record {
  std::map<std::string, manifest_entry> by_id, by_name;
  // The entry of input whose output is output, else nullptr; each path as
  // given and its path_id (computed once by the caller, who writes it too).
  const manifest_entry* find(const std::string& input, const std::string& input_id, const std::string& output,
                             const std::string& output_id) const;
};

// One JSON line as kmq writes it (manifest, --json): bytes of a file name
// that are not UTF-8 become U+FFFD (JSON holds text, not bytes).
std::string json_line(const nlohmann::json& line);
// A name as such a line reads back: what read_manifest's keys and outputs are
// compared with.
std::string as_json_text(const std::string& name);

// Reads FILE; a missing file is an empty record; lines that are not JSON
// (a torn last line) are ignored.
manifest_record read_manifest(const std::string& path);

class manifest_writer {
 public:
  manifest_writer() = default;
  // Opens for appending (creating it); a last line without its newline (a
  // torn line) is ended first. Throws error(output_failed).
  explicit manifest_writer(const std::string& path);
  ~manifest_writer();
  manifest_writer(const manifest_writer&) = delete;
  manifest_writer& operator=(const manifest_writer&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // One write() of the line and its newline; throws error(output_failed).
  void append(const nlohmann::json& line);
  void close();  // fsync and close; throws error(output_failed)

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace kmq::cli
