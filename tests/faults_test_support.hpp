// What the test_faults*.cpp files share: the FaultInjection fixture, which
// runs the real kmq binary (KMQ_BINARY, set by tests/CMakeLists.txt) in a
// scratch folder per test, under a file size limit or as nobody where asked;
// what a file was (bytes and mtime), to show that an input stayed untouched;
// and the checks that a failure names its file and leaves nothing behind.
#pragma once
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace kmq::testing::faults {

namespace fs = std::filesystem;

inline std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const fs::path& file, const std::string& content) {
  std::ofstream(file, std::ios::binary) << content;
}

inline std::string sample(const std::string& name) {
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  return (fs::path(root ? root : ".") / "sample_images" / name).string();
}

// What a file was: its bytes and its modification time (ns).
struct file_state {
  std::string bytes;
  long long mtime_ns = 0;
  bool operator==(const file_state& o) const { return bytes == o.bytes && mtime_ns == o.mtime_ns; }
};

inline file_state state_of(const fs::path& file) {
  struct stat info {};
  file_state s;
  if (::stat(file.c_str(), &info) != 0) return s;
  s.bytes = read_file(file);
  s.mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
  return s;
}

inline std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) found.insert(entry.path().filename().string());
  return found;
}

struct run_options {
  std::optional<rlim_t> file_size_limit;  // RLIMIT_FSIZE in bytes
  bool ignore_sigxfsz = false;            // then a write past the limit fails with EFBIG
  bool as_nobody = false;                 // setgid/setuid to nobody before exec (needs root)
  std::string stdout_file;                // default: <dir>/stdout.txt
};

struct outcome {
  int code = -1;    // exit code, -1 when killed
  int signal = 0;   // the signal that killed it
  std::string out, err;
};

class FaultInjection : public ::testing::Test {
 protected:
  FaultInjection()
      : scratch_(std::string("kmq-faults-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()) {}

  fs::path path(const std::string& name) const { return scratch_.path() / name; }

  // kmq started with args (already split), not waited for.
  pid_t start(const std::vector<std::string>& args, const run_options& options = {}) const {
    std::vector<std::string> argv = {KMQ_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    ::kmq::testing::child_options child;
    child.stdout_path = options.stdout_file.empty() ? path("stdout.txt").string() : options.stdout_file;
    child.stderr_path = path("stderr.txt").string();
    child.as_nobody = options.as_nobody;
    child.ignore_sigxfsz = options.ignore_sigxfsz;
    child.file_size_limit = options.file_size_limit;
    return ::kmq::testing::start_child(argv, child);
  }

  outcome finish(pid_t child, const run_options& options = {}) const {
    const ::kmq::testing::child_end end = ::kmq::testing::wait_child(child);
    outcome o;
    o.code = end.code;
    o.signal = end.signal;
    // (A device given as stdout_file, such as /dev/full, is not read back.)
    if (options.stdout_file.empty()) o.out = read_file(path("stdout.txt"));
    o.err = read_file(path("stderr.txt"));
    return o;
  }

  outcome kmq(const std::vector<std::string>& args, const run_options& options = {}) const {
    return finish(start(args, options), options);
  }

  // A directory holds exactly these names: nothing partial, nothing temporary.
  static void expect_only(const fs::path& dir, const std::set<std::string>& names) {
    EXPECT_EQ(names_in(dir), names) << "in " << dir;
  }

  ::kmq::testing::scratch_folder scratch_;
};

// Every failure says "kmq: <file>: <reason>" and names the file concerned.
inline void expect_names(const outcome& o, const std::string& file) {
  EXPECT_EQ(o.err.rfind("kmq: ", 0), 0u) << o.err;
  EXPECT_NE(o.err.find(file), std::string::npos) << "stderr does not name " << file << ": " << o.err;
}

}  // namespace kmq::testing::faults
