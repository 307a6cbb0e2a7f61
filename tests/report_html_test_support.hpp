// What the test_report_html_*.cpp files share: file and shell helpers, the
// images embedded in a page read back, one real run of fruits.jpg at K = 16
// with its page, and the ReportHtml fixture's scratch folder.
#pragma once
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "kmq/cpu_backend.hpp"
#include "kmq/pipeline/report_html.hpp"
#include "kmq/pipeline/run_job.hpp"

namespace kmq::testing::report_html {

namespace fs = std::filesystem;

inline std::string sample(const std::string& name) {
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  return (fs::path(root ? root : ".") / "sample_images" / name).string();
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Exit status of a shell command, output to files.
inline int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::vector<std::uint8_t> base64_decode(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else break;  // '=' padding
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(buffer >> bits));
    }
  }
  return out;
}

// The image embedded in the <img> with this id, decoded (BGR or BGRA).
inline cv::Mat embedded_image(const std::string& html, const std::string& id) {
  const std::size_t tag = html.find("id=\"" + id + "\"");
  if (tag == std::string::npos) return {};
  const std::string prefix = "src=\"data:image/png;base64,";
  const std::size_t src = html.find(prefix, tag);
  const std::size_t end = html.find('"', src + prefix.size());
  const std::vector<std::uint8_t> png = base64_decode(html.substr(src + prefix.size(), end - src - prefix.size()));
  return cv::imdecode(cv::Mat(1, static_cast<int>(png.size()), CV_8U, const_cast<std::uint8_t*>(png.data())),
                      cv::IMREAD_UNCHANGED);
}

// One real run of fruits.jpg at K = 16, shared by the tests.
struct fruits_run {
  image_job job;
  job_outcome outcome;
  report_context context;
  std::string html;
};

inline const fruits_run& fruits() {
  static const std::unique_ptr<fruits_run> run = [] {
    auto r = std::make_unique<fruits_run>();
    r->job.input = sample("fruits.jpg");
    r->job.keep_decoded = true;
    r->job.quantize.kmeans.k = 16;
    r->outcome = run_job(r->job, *make_cpu_backend(2));
    r->context.command_line = "kmq compress " + r->job.input + " -o fruits-16.png -k 16 --report fruits.html";
    r->context.version = "0.1.0-test";
    r->html = render_report_html(r->job, r->outcome, r->context);
    return r;
  }();
  return *run;
}

class ReportHtml : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kmq-report-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);  // kept for a look when something failed
  }
  fs::path dir_;
};

}  // namespace kmq::testing::report_html
