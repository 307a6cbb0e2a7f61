// The fixture of kmq serve's loopback tests (test_serve.cpp, test_serve_results.cpp):
// an in-process server on a free port, cpp-httplib's client, a latch the
// workers can be held at, and `kmq compress` run for comparison.
#pragma once
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "kmq/serve/server.hpp"

namespace kmq::testing::serve {

namespace fs = std::filesystem;
using nlohmann::json;


inline fs::path source_dir() {
  const char* dir = std::getenv("KMQ_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::path(KMQ_SOURCE_DIR_DEFAULT);
}

inline std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a command, returns its standard output; fails the test on a non-zero exit.
inline std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[65536];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << command;
  return out;
}

// A gate the workers wait at: a test opens it when the queue is where it wants it.
class latch_gate {
 public:
  void wait(const std::string& what) {
    std::unique_lock<std::mutex> lock(mutex_);
    started_.push_back(what);
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  void wait_started(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return started_.size() >= count; });
  }
  void open() {
    const std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> started_;
  bool open_ = false;
};

class serve_test : public ::testing::Test {
 protected:
  void start(kmq::serve::server_options options = {}) {
    options.port = 0;
    options.threads = 2;
    server_ = std::make_unique<kmq::serve::server>(options);
    port_ = server_->bind();
    runner_ = std::thread([this] { server_->run(); });
  }
  // Work of the kind named what (as the queue names it: "elbow", "preview")
  // waits at gate_ before it starts, until the test opens it.
  void hold_work(kmq::serve::server_options& options, const std::string& what) {
    gate_ = std::make_unique<latch_gate>();
    options.before_work = [gate = gate_.get(), what](const std::string& kind) {
      if (kind == what) gate->wait(kind);
    };
  }
  void TearDown() override {
    if (gate_) gate_->open();
    if (server_) server_->stop();
    if (runner_.joinable()) runner_.join();
    server_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    return c;
  }
  // Uploads a file under name; returns the JSON answer (fails the test on another status).
  json upload(const std::string& bytes, const std::string& name) {
    auto res = client().Post(("/api/images?name=" + name).c_str(), bytes, "application/octet-stream");
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body);
  }
  fs::path temp_dir() {
    if (dir_.empty()) {
      dir_ = fs::temp_directory_path() / ("kmq_serve_test_" + std::to_string(::getpid()));
      fs::create_directories(dir_);
    }
    return dir_;
  }
  // kmq compress on a sample image with flags: the PNG's bytes and its --json line.
  std::pair<std::string, json> compress(const std::string& input, const std::string& flags) {
    const fs::path out = temp_dir() / "out.png";
    fs::remove(out);
    const std::string line = run_command(std::string(KMQ_BINARY) + " compress '" + input + "' -o '" + out.string() +
                                         "' --json --threads 2 " + flags);
    return {read_bytes(out), json::parse(line)};
  }

  std::unique_ptr<kmq::serve::server> server_;
  std::unique_ptr<latch_gate> gate_;
  std::atomic<bool> hold_{false};
  std::thread runner_;
  int port_ = 0;
  fs::path dir_;
};

inline void expect_error(const httplib::Result& res, int status, const std::string& kind) {
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, status) << res->body;
  const json body = json::parse(res->body);
  EXPECT_EQ(body.at("kind"), kind) << res->body;
  EXPECT_FALSE(body.at("error").get<std::string>().empty());
  EXPECT_NE(res->get_header_value("Content-Security-Policy").find("default-src"), std::string::npos);
}

struct preview {
  json stats;
  std::vector<std::uint32_t> palette;
  std::string labels;
};

inline preview parse_preview(const std::string& body) {
  preview p;
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length |= std::uint32_t(static_cast<unsigned char>(body[i])) << (8 * i);
  p.stats = json::parse(body.substr(4, length));
  const std::size_t n = p.stats.at("palette_size");
  p.palette.resize(n);
  std::memcpy(p.palette.data(), body.data() + 4 + length, 4 * n);
  p.labels = body.substr(4 + length + 4 * n);
  return p;
}

inline const std::string fruits = "sample_images/fruits.jpg";

}  // namespace kmq::testing::serve
