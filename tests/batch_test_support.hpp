// What the test_batch*.cpp files share: the Batch fixture, which runs the
// kmq binary (KMQ_BINARY, set by tests/CMakeLists.txt) as `kmq batch` in a
// scratch folder per test, and small generated images to feed it.
#pragma once
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "child_process.hpp"

namespace kmq::testing::batch {

namespace fs = std::filesystem;

struct run_options {
  std::vector<std::string> env;  // NAME=VALUE added
  std::string stdin_file;
  bool as_nobody = false;
  std::string cwd;  // the folder kmq runs in (empty: this one)
  bool ignore_sigint = false;  // started with SIGINT ignored
};

struct outcome {
  int code = -1;
  int signal = 0;
  std::string out, err;
};

inline std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A small image with a gradient and some noise, written by OpenCV.
inline void write_image(const fs::path& file, int width, int height, int seed, const std::vector<int>& params = {}) {
  cv::Mat image(height, width, CV_8UC3);
  cv::RNG random(static_cast<std::uint64_t>(seed) + 1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>((x * 255 / width + seed * 37) % 256),
                                            static_cast<uchar>((y * 255 / height + seed * 11) % 256),
                                            static_cast<uchar>(random.uniform(0, 64) + seed % 128));
    }
  }
  fs::create_directories(file.parent_path());
  ASSERT_TRUE(cv::imwrite(file.string(), image, params)) << file;
}

class Batch : public ::testing::Test {
 protected:
  Batch() : scratch_(std::string("kmq-batch-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()) {}

  fs::path path(const std::string& name) const { return scratch_.path() / name; }

  pid_t start(const std::vector<std::string>& args, const run_options& options = {}) const {
    std::vector<std::string> argv = {KMQ_BINARY, "batch"};
    argv.insert(argv.end(), args.begin(), args.end());
    ::kmq::testing::child_options child;
    if (!options.stdin_file.empty()) child.stdin_path = options.stdin_file;
    child.stdout_path = path("stdout.txt").string();
    child.stderr_path = path("stderr.txt").string();
    child.set_env = options.env;
    child.as_nobody = options.as_nobody;
    child.cwd = options.cwd;
    child.ignore_sigint = options.ignore_sigint;
    return ::kmq::testing::start_child(argv, child);
  }

  outcome wait_for(pid_t child) const {
    const ::kmq::testing::child_end end = ::kmq::testing::wait_child(child);
    outcome o;
    o.code = end.code;
    o.signal = end.signal;
    o.out = read_file(path("stdout.txt"));
    o.err = read_file(path("stderr.txt"));
    return o;
  }

  outcome kmq(const std::vector<std::string>& args, const run_options& options = {}) const {
    return wait_for(start(args, options));
  }

  // Every file below root, by path relative to it, with its bytes.
  static std::map<std::string, std::string> tree(const fs::path& root) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file()) files[fs::relative(entry.path(), root).generic_string()] = read_file(entry.path());
    }
    return files;
  }

  static std::vector<nlohmann::json> manifest_lines(const fs::path& file) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(read_file(file));
    std::string line;
    while (std::getline(in, line)) {
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) lines.push_back(j);
    }
    return lines;
  }

  // n images src/img-NN.png (some in sub/), each distinct.
  void make_images(const fs::path& root, int n, int size = 32) const {
    for (int i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%simg-%02d.%s", i % 3 == 0 ? "sub/" : "", i, i % 2 ? "jpg" : "png");
      write_image(root / name, size, size, i);
    }
  }

  ::kmq::testing::scratch_folder scratch_;
};

inline const std::vector<std::string> fast = {"-k", "4", "--progress", "none"};

inline std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
}  // namespace kmq::testing::batch
