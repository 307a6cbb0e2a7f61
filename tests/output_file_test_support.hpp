// What the test_output_file*.cpp files share: the OutputFile fixture (a
// scratch folder holding an input, and the names in it that look like our
// temporary files), the check that a call fails with the right kind and
// reason, and OutputRoute, which runs a case on either route of a write.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "kmq/error.hpp"
#include "kmq/io/output_file.hpp"

namespace kmq::io::testing {

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

class OutputFile : public ::testing::Test {
 protected:
  OutputFile()
      : scratch_(std::string("kmq-output-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()),
        dir_(scratch_.path()) {}
  void SetUp() override {
    input_ = path("in.png");
    make_file(input_, "input bytes");
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static void make_file(const std::string& file, const std::string& content) {
    std::ofstream(file, std::ios::binary) << content;
  }

  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Names in the directory that look like our temporary files (".name.XXXXXX").
  std::vector<std::string> temporaries() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (!name.empty() && name[0] == '.') found.push_back(name);
    }
    return found;
  }

  ::kmq::testing::scratch_folder scratch_;
  fs::path dir_;
  std::string input_;
};

// Runs f, expecting a failure with code whose message contains text.
template <typename F>
void expect_failure(F f, error_kind kind, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "no failure, expected \"" << text << "\"";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), kind) << e.describe();
    EXPECT_NE(e.describe().find(text), std::string::npos) << e.describe();
  }
}

inline const bytes payload = {'k', 'm', 'q', 0, 1, 2, 255};

// GetParam(): true for the named route (file systems without O_TMPFILE).
class OutputRoute : public OutputFile, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    OutputFile::SetUp();
    detail::use_named_temporary(GetParam());
  }
  void TearDown() override {
    detail::use_named_temporary(false);
    OutputFile::TearDown();
  }

  std::string temporary() const { return path(".out.png.kmq-tmp"); }

  // Every name in the directory.
  std::set<std::string> names() const {
    std::set<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir_)) found.insert(entry.path().filename().string());
    return found;
  }
};

}  // namespace kmq::io::testing
