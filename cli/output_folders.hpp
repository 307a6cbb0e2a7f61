// Output folders made by a run, and taken away again when the run wrote
// nothing into them: a run whose every input fails leaves no empty folder
// behind (kmq compress --out-dir, kmq batch's OUTDIR and its subfolders).
#pragma once
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

namespace kmq::cli {

// Makes dir and its missing parents; returns those it made, outermost first
// (none when dir was there). ec says why it could not.
std::vector<std::filesystem::path> make_folders(const std::filesystem::path& dir, std::error_code& ec);

// Removes the given folders, innermost first, where they are still empty.
void remove_empty_folders(const std::vector<std::filesystem::path>& made);

// The folders a run made, from any thread; on destruction the empty ones go.
class made_folders {
 public:
  made_folders() = default;
  made_folders(const made_folders&) = delete;
  made_folders& operator=(const made_folders&) = delete;
  ~made_folders() {
    if (!keep_) remove_empty_folders(made_);
  }

  // Leaves them all, empty or not: for a run that shares its folders with
  // others running at the same time (kmq batch --shard), which may be about
  // to write into one this run made.
  void keep() { keep_ = true; }

  // make_folders(dir), remembered.
  void make(const std::filesystem::path& dir, std::error_code& ec) {
    std::lock_guard<std::mutex> hold(lock_);
    const std::vector<std::filesystem::path> now = make_folders(dir, ec);
    made_.insert(made_.end(), now.begin(), now.end());
  }

 private:
  std::mutex lock_;
  std::vector<std::filesystem::path> made_;
  bool keep_ = false;
};

}  // namespace kmq::cli
