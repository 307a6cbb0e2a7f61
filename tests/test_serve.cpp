// kmq serve over loopback: an in-process server on a free port, spoken to by
// cpp-httplib's client. Uploads good and bad, the queue's bound and the
// superseding of old requests (held in place by the before_work hook and a
// latch, never by timing), previews and downloads against `kmq compress`,
// the zip, the Content-Security-Policy and paths that must not escape.
#include <gtest/gtest.h>
#include <httplib.h>
#include <zip.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/serve/server.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path source_dir() {
  const char* dir = std::getenv("KMQ_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::path(KMQ_SOURCE_DIR_DEFAULT);
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a command, returns its standard output; fails the test on a non-zero exit.
std::string run_command(const std::string& command) {
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

void expect_error(const httplib::Result& res, int status, const std::string& kind) {
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

preview parse_preview(const std::string& body) {
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

const std::string fruits = "sample_images/fruits.jpg";

}  // namespace

TEST_F(serve_test, ValidUploadIsPrepared) {
  start();
  const json image = upload(read_bytes(source_dir() / fruits), "fruits.jpg");
  EXPECT_EQ(image.at("width"), 512);
  EXPECT_EQ(image.at("height"), 480);
  EXPECT_GT(image.at("distinct_colors").get<int>(), 1000);
  auto status = client().Get("/api/status");
  ASSERT_TRUE(status);
  EXPECT_GT(json::parse(status->body).at("memory_bytes").get<std::uint64_t>(), 512u * 480u * 8u);
}

TEST_F(serve_test, BrokenEmptyAndNonImageUploadsAreRefusedWithReasons) {
  start();
  const std::string png = read_bytes(source_dir() / "sample_images/coffee.png");
  expect_error(client().Post("/api/images?name=cut.png", png.substr(0, png.size() / 2), "image/png"), 422, "bad_input");
  expect_error(client().Post("/api/images?name=empty.png", "", "image/png"), 422, "empty");
  expect_error(client().Post("/api/images?name=notes.txt", "just some text, not pixels", "text/plain"), 415,
               "not_an_image");
  auto res = client().Post("/api/images?name=cut.png", png.substr(0, png.size() / 2), "image/png");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("cut.png"), std::string::npos) << "the reason names the upload";
  // The server is still there.
  upload(png, "coffee.png");
}

TEST_F(serve_test, OversizedUploadsAreRefusedBeforeDecoding) {
  kmq::serve::server_options options;
  options.limits.max_file_bytes = 40000;  // the same setting as kmq compress --max-file-size
  options.limits.max_pixels = 100000;
  start(options);
  const std::string big = read_bytes(source_dir() / fruits);  // 82 kB
  ASSERT_GT(big.size(), 40000u);
  expect_error(client().Post("/api/images?name=fruits.jpg", big, "image/jpeg"), 413, "too_large");
  const std::string wide = read_bytes(source_dir() / "sample_images/chelsea.png");  // 451x300 = 135300 pixels
  if (wide.size() <= 40000) {
    expect_error(client().Post("/api/images?name=chelsea.png", wide, "image/png"), 413, "too_large");
  }
  // Pixels over the limit, from the header, in a file under the byte limit:
  // a PNG header claiming 1000x1000 followed by nothing else.
  std::string header = read_bytes(source_dir() / "sample_images/coffee.png").substr(0, 33);
  header[16] = 0, header[17] = 0, header[18] = 0x03, header[19] = static_cast<char>(0xe8);  // width 1000
  header[20] = 0, header[21] = 0, header[22] = 0x03, header[23] = static_cast<char>(0xe8);  // height 1000
  auto res = client().Post("/api/images?name=huge.png", header, "image/png");
  expect_error(res, 413, "too_large");
  EXPECT_NE(res->body.find("max-pixels"), std::string::npos) << res->body;
}

TEST_F(serve_test, AFullQueueAnswersBusy) {
  kmq::serve::server_options options;
  options.workers = 1;
  options.queue = 1;
  gate_ = std::make_unique<latch_gate>();
  options.before_work = [gate = gate_.get()](const std::string& what) { gate->wait(what); };
  start(options);
  const std::string bytes = read_bytes(source_dir() / fruits);
  // One upload held running, one waiting: the third is refused.
  auto running = std::async(std::launch::async, [&] {
    return client().Post("/api/images?name=a.jpg", bytes, "image/jpeg");
  });
  gate_->wait_started(1);
  auto waiting = std::async(std::launch::async, [&] {
    return client().Post("/api/images?name=b.jpg", bytes, "image/jpeg");
  });
  while (server_->queued() < 1) std::this_thread::yield();
  auto refused = client().Post("/api/images?name=c.jpg", bytes, "image/jpeg");
  expect_error(refused, 503, "busy");
  EXPECT_EQ(json::parse(refused->body).at("error"), "busy");
  gate_->open();
  auto first = running.get();
  auto second = waiting.get();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->status, 200);
}

TEST_F(serve_test, ANewerRequestSupersedesOlderOnes) {
  kmq::serve::server_options options;
  options.workers = 1;
  options.queue = 4;
  gate_ = std::make_unique<latch_gate>();
  options.before_work = [gate = gate_.get(), hold = &hold_](const std::string& what) {
    if (*hold) gate->wait(what);
  };
  start(options);
  const json image = upload(read_bytes(source_dir() / fruits), "fruits.jpg");
  const std::string base = "/api/images/" + image.at("id").get<std::string>();
  hold_ = true;
  // Request 1 runs (held before it starts), request 2 waits, request 3 comes:
  // 2 is dropped from the queue at once, 1 is stopped when released, 3 is answered.
  auto first = std::async(std::launch::async, [&] { return client().Get((base + "/preview?k=8&seq=1").c_str()); });
  gate_->wait_started(1);
  auto second = std::async(std::launch::async, [&] { return client().Get((base + "/preview?k=9&seq=2").c_str()); });
  while (server_->queued() < 1) std::this_thread::yield();
  auto third = std::async(std::launch::async, [&] { return client().Get((base + "/preview?k=10&seq=3").c_str()); });
  expect_error(second.get(), 409, "superseded");  // answered while the worker is still held
  gate_->open();
  expect_error(first.get(), 409, "superseded");
  auto answered = third.get();
  ASSERT_TRUE(answered);
  ASSERT_EQ(answered->status, 200) << answered->body;
  EXPECT_EQ(parse_preview(answered->body).stats.at("k"), 10);
  // An answer older than the newest seen is refused outright.
  expect_error(client().Get((base + "/preview?k=8&seq=2").c_str()), 409, "superseded");
}

TEST_F(serve_test, PreviewMatchesKmqCompressPixelForPixel) {
  start();
  const std::string input = (source_dir() / fruits).string();
  for (const std::string& flags : {std::string("-k 16"), std::string("-k 5 --seed 7 --dither fs")}) {
    const json image = upload(read_bytes(input), "fruits.jpg");
    const std::string query = flags == "-k 16" ? "k=16" : "k=5&seed=7&dither=fs";
    auto res = client().Get(("/api/images/" + image.at("id").get<std::string>() + "/preview?" + query).c_str());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const preview p = parse_preview(res->body);
    const auto [png, line] = compress(input, flags);
    const kmq::io::decoded_image expected =
        kmq::io::image_decoder().decode_bytes(std::vector<std::uint8_t>(png.begin(), png.end()), "kmq compress output");
    ASSERT_EQ(p.labels.size(), expected.pixels.size());
    EXPECT_EQ(p.palette.size(), line.at("palette_size").get<std::size_t>());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < expected.pixels.size(); ++i) {
      differ += p.palette.at(static_cast<unsigned char>(p.labels[i])) != expected.pixels[i];
    }
    EXPECT_EQ(differ, 0u) << flags;
    if (flags == "-k 16") EXPECT_DOUBLE_EQ(p.stats.at("psnr").get<double>(), line.at("psnr").get<double>());
  }
}

TEST_F(serve_test, DownloadIsByteIdenticalToKmqCompressAndStatisticsEqualItsJson) {
  start();
  const std::string input = (source_dir() / fruits).string();
  const json image = upload(read_bytes(input), input);  // named as kmq compress names it
  const std::string base = "/api/images/" + image.at("id").get<std::string>();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"k=16", "-k 16"}, {"level=balanced", "--level balanced"}, {"k=32&dither=fs&seed=3", "-k 32 --dither fs --seed 3"}};
  for (const auto& [query, flags] : cases) {
    const auto [png, line] = compress(input, flags);
    auto download = client().Get((base + "/download/png?" + query).c_str());
    ASSERT_TRUE(download);
    ASSERT_EQ(download->status, 200) << download->body;
    EXPECT_TRUE(download->body == png) << flags << ": the downloaded PNG differs from kmq compress's";
    EXPECT_NE(download->get_header_value("Content-Disposition").find("fruits.png"), std::string::npos);
    auto result = client().Get((base + "/result?" + query).c_str());
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    const json stats = json::parse(result->body);
    for (const auto& [key, value] : line.items()) {
      if (key == "seconds" || key == "output") continue;
      EXPECT_EQ(stats.at(key), value) << flags << ": " << key;
    }
  }
}

TEST_F(serve_test, EveryDownloadRenders) {
  start();
  const json image = upload(read_bytes(source_dir() / "sample_images/coffee.png"), "coffee.png");
  const std::string base = "/api/images/" + image.at("id").get<std::string>() + "/download/";
  for (const std::string what : {"gpl", "palette.json", "palette.png", "labels.png", "report.html"}) {
    auto res = client().Get((base + what + "?k=8").c_str());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << what << ": " << res->body;
    EXPECT_GT(res->body.size(), 20u) << what;
    EXPECT_NE(res->get_header_value("Content-Disposition").find("coffee"), std::string::npos) << what;
  }
  auto gpl = client().Get((base + "gpl?k=8").c_str());
  EXPECT_EQ(gpl->body.rfind("GIMP Palette", 0), 0u);
  EXPECT_EQ(json::parse(client().Get((base + "palette.json?k=8").c_str())->body).at("colors").size(), 8u);
  auto report = client().Get((base + "report.html?k=8").c_str());
  EXPECT_NE(report->body.find("<!DOCTYPE html>"), std::string::npos);
  // The report's inline code is allowed; nothing from outside is.
  const std::string policy = report->get_header_value("Content-Security-Policy");
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("http"), std::string::npos) << policy;
  expect_error(client().Get((base + "nothing?k=8").c_str()), 404, "not_found");
}

TEST_F(serve_test, ZipHoldsEveryImageByteIdentical) {
  start();
  std::vector<std::string> ids;
  for (const std::string& name : {"sample_images/coffee.png", "sample_images/chelsea.png", "sample_images/coffee.png"}) {
    ids.push_back(upload(read_bytes(source_dir() / name), fs::path(name).filename().string()).at("id"));
  }
  auto res = client().Get(("/api/zip?k=12&ids=" + ids[0] + "," + ids[1] + "," + ids[2]).c_str());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/zip");
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* source = zip_source_buffer_create(res->body.data(), res->body.size(), 0, &err);
  ASSERT_NE(source, nullptr);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &err);
  ASSERT_NE(archive, nullptr) << zip_error_strerror(&err);
  ASSERT_EQ(zip_get_num_entries(archive, 0), 3);
  const std::vector<std::string> names = {"coffee.png", "chelsea.png", "coffee-2.png"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    zip_stat_t st;
    ASSERT_EQ(zip_stat(archive, names[i].c_str(), 0, &st), 0) << names[i];
    std::string bytes(st.size, '\0');
    zip_file_t* file = zip_fopen(archive, names[i].c_str(), 0);
    ASSERT_NE(file, nullptr);
    EXPECT_EQ(zip_fread(file, bytes.data(), st.size), static_cast<zip_int64_t>(st.size));
    zip_fclose(file);
    auto single = client().Get(("/api/images/" + ids[i] + "/download/png?k=12").c_str());
    EXPECT_TRUE(single->body == bytes) << names[i];
  }
  zip_close(archive);
}

TEST_F(serve_test, EveryResponseCarriesTheContentSecurityPolicy) {
  start();
  const json image = upload(read_bytes(source_dir() / "sample_images/chelsea.png"), "chelsea.png");
  const std::string id = image.at("id");
  const std::vector<std::string> paths = {"/", "/index.html", "/app.js", "/app.css", "/api/status", "/nothing",
                                          "/api/images/ffff/preview", "/api/images/" + id + "/preview?k=300",
                                          "/api/images/" + id + "/result?k=4", "/api/images/" + id + "/original"};
  for (const std::string& path : paths) {
    auto res = client().Get(path.c_str());
    ASSERT_TRUE(res) << path;
    const std::string policy = res->get_header_value("Content-Security-Policy");
    EXPECT_NE(policy.find("default-src 'self'"), std::string::npos) << path << ": " << policy;
    EXPECT_EQ(policy.find("http"), std::string::npos) << path << ": " << policy;
  }
  expect_error(client().Get(("/api/images/" + id + "/preview?k=300").c_str()), 400, "bad_request");
  expect_error(client().Get("/api/images/ffff/preview"), 404, "unknown_image");
  auto page = client().Get("/");
  EXPECT_NE(page->body.find("<script src=\"/app.js\""), std::string::npos);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
}

TEST_F(serve_test, RequestPathsNeverReachTheFileSystem) {
  start();
  for (const std::string path : {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/index.html/../../../etc/passwd",
                                 "/etc/passwd", "//etc/passwd", "/app.js/..", "/api/../../etc/passwd"}) {
    auto res = client().Get(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("root:"), std::string::npos) << path;
  }
}

TEST_F(serve_test, TheLeastRecentlyUsedImageIsEvictedBeyondTheMemoryBound) {
  kmq::serve::server_options options;
  options.cache_mb = 3;
  start(options);
  // coffee.png: 600x400, counted as 8 bytes a pixel + its 466 kB = 2.4 MB; chelsea.png adds 1.3 MB.
  const json coffee = upload(read_bytes(source_dir() / "sample_images/coffee.png"), "coffee.png");
  const std::string coffee_preview = "/api/images/" + coffee.at("id").get<std::string>() + "/preview?k=4";
  ASSERT_EQ(client().Get(coffee_preview.c_str())->status, 200);
  const json chelsea = upload(read_bytes(source_dir() / "sample_images/chelsea.png"), "chelsea.png");
  expect_error(client().Get(coffee_preview.c_str()), 404, "unknown_image");
  EXPECT_EQ(client().Get(("/api/images/" + chelsea.at("id").get<std::string>() + "/preview?k=4").c_str())->status, 200);
  const json status = json::parse(client().Get("/api/status")->body);
  EXPECT_LE(status.at("memory_bytes").get<std::uint64_t>(), 3u << 20);
  // An image that alone needs more than the whole bound is refused from its header.
  options.cache_mb = 1;
  TearDown();
  start(options);
  expect_error(client().Post("/api/images?name=coffee.png", read_bytes(source_dir() / "sample_images/coffee.png"),
                             "image/png"),
               413, "too_large");
}

TEST_F(serve_test, APortInUseIsAnError) {
  start();
  kmq::serve::server_options options;
  options.port = port_;
  kmq::serve::server second(options);
  try {
    second.bind();
    FAIL() << "a second server bound port " << port_ << " that the first one listens on";
  } catch (const kmq::error& e) {
    EXPECT_EQ(e.kind(), kmq::error_kind::output_failed);
    EXPECT_NE(e.describe().find(std::to_string(port_)), std::string::npos) << e.describe();
  }
}

TEST_F(serve_test, LoopbackAddresses) {
  EXPECT_TRUE(kmq::serve::is_loopback("127.0.0.1"));
  EXPECT_TRUE(kmq::serve::is_loopback("127.1.2.3"));
  EXPECT_TRUE(kmq::serve::is_loopback("::1"));
  EXPECT_TRUE(kmq::serve::is_loopback("localhost"));
  EXPECT_FALSE(kmq::serve::is_loopback("0.0.0.0"));
  EXPECT_FALSE(kmq::serve::is_loopback("192.168.1.2"));
}
