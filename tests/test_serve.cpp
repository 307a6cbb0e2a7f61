// kmq serve over loopback (fixture: serve_test_support.hpp): uploads good and
// bad, the queue's bound and the superseding of old requests (held in place
// by the before_work hook and a latch, never by timing), the LRU's memory
// bound, the Content-Security-Policy, paths that must not escape, the port.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <regex>

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
  expect_error(client().Post("/api/images?name=notes.txt", "just some text, not pixels", "application/octet-stream"), 415,
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
  auto too_big = client().Post("/api/images?name=fruits.jpg", big, "image/jpeg");
  expect_error(too_big, 413, "too_large");
  EXPECT_NE(too_big->body.find("fruits.jpg"), std::string::npos) << "names the upload: " << too_big->body;
  EXPECT_NE(too_big->body.find("40000 bytes"), std::string::npos) << "says the limit: " << too_big->body;
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
  const std::vector<std::string> paths = {"/", "/index.html", "/app.js", "/viewer.js", "/elbow.js", "/files.js", "/list.js", "/app.css", "/favicon.svg", "/api/status", "/nothing",
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
  expect_error(client().Get("/api/images/00000000000000ff-0000000000000000/preview"), 404, "unknown_image");
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

// A route asked with a method it does not answer: 405 and an Allow header
// saying which one it does, not "no such page".
TEST_F(serve_test, AWrongMethodOnARouteAnswers405WithAllow) {
  start();
  const std::string image = upload(read_bytes(source_dir() / fruits), "fruits.jpg").at("id").get<std::string>();
  const auto expect_405 = [](const httplib::Result& res, const std::string& allow) {
    expect_error(res, 405, "method_not_allowed");
    EXPECT_EQ(res->get_header_value("Allow"), allow);
  };
  expect_405(client().Get("/api/images"), "POST");
  expect_405(client().Put("/api/images", "x", "application/octet-stream"), "POST");
  expect_405(client().Post("/api/status", "x", "application/octet-stream"), "GET");
  expect_405(client().Post(("/api/images/" + image + "/preview").c_str(), "x", "application/octet-stream"), "GET");
  expect_405(client().Post(("/api/images/" + image + "/elbow").c_str(), "x", "application/octet-stream"), "GET");
  expect_405(client().Delete("/api/zip"), "GET");
  expect_405(client().Get(("/api/images/" + image).c_str()), "DELETE");
  // The page's files too.
  expect_405(client().Post("/index.html", "x", "application/octet-stream"), "GET");
  expect_405(client().Put("/app.js", "x", "application/octet-stream"), "GET");
  expect_405(client().Delete("/"), "GET");
  expect_error(client().Get("/api/nothing"), 404, "not_found");
  // A parameter given twice is named, not resolved silently.
  auto twice = client().Get(("/api/images/" + image + "/result?k=4&k=5").c_str());
  expect_error(twice, 400, "bad_request");
  EXPECT_NE(twice->body.find("k is given more than once"), std::string::npos) << twice->body;
  // Twice the same, which httplib keeps once.
  auto same = client().Get(("/api/images/" + image + "/result?k=4&k=4").c_str());
  expect_error(same, 400, "bad_request");
  expect_error(client().Post("/nothing", "x", "application/octet-stream"), 404, "not_found");
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

namespace {

// One request on a raw socket (what httplib's client will not send: a chunked
// body, any Host); returns the answer's status line, headers and body.
std::string raw_request(int port, const std::string& request) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{30, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string answer;
  if (::connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(sock, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = ::recv(sock, buffer, sizeof buffer, 0)) > 0;) {
      answer.append(buffer, static_cast<std::size_t>(n));
      const std::size_t head = answer.find("\r\n\r\n");
      const std::size_t length = answer.find("Content-Length: ");
      if (head != std::string::npos && length != std::string::npos &&
          answer.size() >= head + 4 + std::stoul(answer.substr(length + 16))) {
        break;
      }
    }
  }
  ::close(sock);
  return answer;
}

}  // namespace

// httplib 0.11 reads a chunked body whole, past --max-file-size: refused before it is read.
TEST_F(serve_test, AChunkedUploadIsRefusedBeforeItsBodyIsRead) {
  kmq::serve::server_options options;
  options.limits.max_file_bytes = 1000;
  start(options);
  const std::string chunk(5000, 'x');
  char size[16];
  std::snprintf(size, sizeof size, "%zx", chunk.size());
  const std::string answer = raw_request(
      port_, "POST /api/images?name=big.png HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                 "\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" +
                 chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 411", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("length_required"), std::string::npos) << answer;
  auto status = client().Get("/api/status");  // still serving
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
}

// DNS rebinding and cross-site writes: a foreign Host or Origin, or a body type a form may send.
TEST_F(serve_test, ForeignHostsOriginsAndFormBodiesAreRefused) {
  start();
  const std::string port = std::to_string(port_);
  const std::string answer = raw_request(port_, "GET /api/status HTTP/1.1\r\nHost: attacker.example:" + port + "\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 403", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("forbidden_host"), std::string::npos) << answer;
  for (const std::string host : {"127.0.0.1:", "localhost:", "[::1]:"}) {
    const std::string ok = raw_request(port_, "GET /api/status HTTP/1.1\r\nHost: " + host + port + "\r\n\r\n");
    EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << host << ": " << ok.substr(0, 200);
  }
  const std::string bytes = read_bytes(source_dir() / "sample_images/coffee.png");
  httplib::Client c = client();
  expect_error(c.Post("/api/images?name=a.png", {{"Origin", "http://attacker.example"}}, bytes, "image/png"), 403,
               "forbidden_origin");
  expect_error(c.Post("/api/images?name=a.png", {{"Origin", "http://127.0.0.1:" + port + ".attacker.example"}}, bytes,
                      "image/png"),
               403, "forbidden_origin");
  expect_error(c.Delete("/api/images/0000000000000000-0000000000000000", {{"Origin", "null"}}), 403, "forbidden_origin");
  for (const std::string type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                 "Text/Plain; charset=utf-8"}) {
    expect_error(c.Post("/api/images?name=a.png", bytes, type.c_str()), 415, "unsupported_type");
  }
  // The page's own requests: its Origin, the file's type or application/octet-stream.
  auto own = c.Post("/api/images?name=a.png", {{"Origin", "http://127.0.0.1:" + port}}, bytes, "application/octet-stream");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
  EXPECT_TRUE(kmq::serve::is_allowed_host("10.0.0.5:80", "10.0.0.5", 80));
  EXPECT_TRUE(kmq::serve::is_allowed_host("[fe80::1]:80", "fe80::1", 80));
  EXPECT_FALSE(kmq::serve::is_allowed_host("10.0.0.6:80", "0.0.0.0", 80));
  EXPECT_FALSE(kmq::serve::is_allowed_host("127.0.0.1:81", "127.0.0.1", 80));
}

TEST_F(serve_test, ImageIdsHaveFixedWidthFields) {
  start();
  const std::string bytes = read_bytes(source_dir() / "sample_images/coffee.png");
  const std::string first = upload(bytes, "a.png").at("id");
  const std::string second = upload(bytes, "b.png").at("id");
  const std::regex form("[0-9a-f]{16}-[0-9a-f]{16}");
  EXPECT_TRUE(std::regex_match(first, form)) << first;
  EXPECT_TRUE(std::regex_match(second, form)) << second;
  EXPECT_NE(first, second);
}

// A stop before run() (a signal during start-up) is not lost: run() returns.
TEST_F(serve_test, AStopBeforeRunMakesRunReturn) {
  kmq::serve::server_options options;
  options.port = 0;
  kmq::serve::server early(options);
  early.bind();
  early.stop();
  auto ran = std::async(std::launch::async, [&] { early.run(); });
  if (ran.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    early.stop();  // let the test end, failed
    FAIL() << "run() listened after stop()";
  }
}

TEST_F(serve_test, QueueZeroIsAUsageError) {
  const int status = std::system(("timeout 20 " + std::string(KMQ_BINARY) + " serve --queue 0 --port 0 >/dev/null 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 64);
}
