// kmq serve over loopback (fixture: serve_test_support.hpp): uploads good and
// bad, the queue's bound and the superseding of old requests (held in place
// by the before_work hook and a latch, never by timing), the LRU's memory
// bound, the Content-Security-Policy, paths that must not escape, the port.
#include <future>

#include "kmq/error.hpp"
#include "serve_test_support.hpp"

using namespace kmq::testing::serve;

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

TEST_F(serve_test, EveryResponseCarriesTheContentSecurityPolicy) {
  start();
  const json image = upload(read_bytes(source_dir() / "sample_images/chelsea.png"), "chelsea.png");
  const std::string id = image.at("id");
  const std::vector<std::string> paths = {"/", "/index.html", "/app.js", "/viewer.js", "/app.css", "/favicon.svg", "/api/status", "/nothing",
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
