// What the test_cli_*.cpp files share: the Cli fixture, which runs the kmq
// binary (KMQ_BINARY, set by tests/CMakeLists.txt) in a scratch folder per
// test and keeps its exit code, stdout and stderr.
#pragma once
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "child_process.hpp"
#include "test_support.hpp"

namespace kmq::testing::cli {

namespace fs = std::filesystem;

struct outcome {
  int code = -1;
  std::string out, err;
};

class Cli : public ::testing::Test {
 protected:
  Cli() : scratch_(std::string("kmq-cli-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()) {}

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string sample(const std::string& name) {
    const char* root = std::getenv("KMQ_SOURCE_DIR");
    return (fs::path(root ? root : ".") / "sample_images" / name).string();
  }

  // cwd: the folder kmq runs in (empty: this one).
  outcome kmq(const std::string& args, const std::string& cwd = "") const {
    const std::string out = path("stdout.txt"), err = path("stderr.txt");
    const std::string command =
        (cwd.empty() ? "" : "cd '" + cwd + "' && ") + std::string(KMQ_BINARY) + " " + args + " >" + out + " 2>" + err;
    const int status = std::system(command.c_str());
    outcome o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = read_text(out);
    o.err = read_text(err);
    return o;
  }

  // The same under a pseudo-terminal: stdout and stderr both land in out.
  outcome kmq_on_terminal(const std::string& args) const {
    const std::string out = path("terminal.txt");
    const std::string command =
        "script -qec '" + std::string(KMQ_BINARY) + " " + args + "' /dev/null >" + out + " 2>&1 </dev/null";
    const int status = std::system(command.c_str());
    outcome o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = read_text(out);
    return o;
  }

  static std::string read_text(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  void write_text(const std::string& name, const std::string& text) const { std::ofstream(path(name), std::ios::binary) << text; }

  // No temporary file may survive a run, whatever happened.
  void expect_no_stray_files() const {
    for (const auto& entry : fs::directory_iterator(dir_)) {
      EXPECT_NE(entry.path().filename().string().rfind(".", 0), 0u) << "left behind: " << entry.path();
    }
  }

  ::kmq::testing::scratch_folder scratch_;  // a folder per test, gone after it
  const fs::path& dir_ = scratch_.path();
};

}  // namespace kmq::testing::cli
