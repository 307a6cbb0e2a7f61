// kmq serve's error-against-K curves: equal to kmq compress --elbow's, in the
// report on request, on a lane of their own (a held curve holds up no
// preview), superseded by the same page's next curve request, and stopped
// when their image is deleted. Held by the before_work hook and a latch,
// never by timing.
#include <future>

#include "serve_test_support.hpp"

using namespace kmq::testing::serve;

// The error against K equals kmq compress --elbow's curve point for point
// (same seed; K and dithering do not change it), lists the levels' targets,
// and the report asked with elbow=1 carries it as --elbow --report's does.
TEST_F(serve_test, ElbowCurveEqualsKmqCompressElbowAndReachesTheReport) {
  start();
  const std::string input = (source_dir() / "sample_images/chelsea.png").string();
  const std::string base = "/api/images/" + upload(read_bytes(input), "chelsea.png").at("id").get<std::string>();
  for (const auto& [query, flags] : std::vector<std::pair<std::string, std::string>>{
           {"k=16", "-k 16"}, {"k=40&dither=fs&seed=5", "-k 40 --dither fs --seed 5"}}) {
    auto res = client().Get((base + "/elbow?" + query).c_str());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const json curve = json::parse(res->body);
    const json expected = compress(input, flags + " --elbow").second.at("elbow");
    ASSERT_EQ(curve.at("points").size(), expected.size()) << flags;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      for (const char* key : {"k", "wcss", "mse", "psnr"}) {
        EXPECT_EQ(curve.at("points")[i].at(key), expected[i].at(key)) << flags << ", point " << i << ": " << key;
      }
    }
    EXPECT_EQ(curve.at("command"), "kmq compress chelsea.png -o OUT.png " + flags + " --elbow --json");
  }
  const json levels = json::parse(client().Get((base + "/elbow").c_str())->body).at("levels");
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[1].at("name"), "balanced");
  EXPECT_EQ(levels[1].at("psnr"), 35.0);

  auto with = client().Get((base + "/download/report.html?k=16&elbow=1").c_str());
  auto without = client().Get((base + "/download/report.html?k=16").c_str());
  ASSERT_TRUE(with && without);
  ASSERT_EQ(with->status, 200) << with->body;
  EXPECT_NE(with->body.find("id=\"elbow-psnr-plot\""), std::string::npos);
  EXPECT_NE(with->body.find("-k 16 --elbow"), std::string::npos);
  EXPECT_EQ(without->body.find("id=\"elbow-psnr-plot\""), std::string::npos);
  expect_error(client().Get((base + "/download/report.html?k=16&elbow=yes").c_str()), 400, "bad_request");
  expect_error(client().Get("/api/images/0000000000000000-0000000000000001/elbow"), 404, "unknown_image");
}

// The curve held before it starts: another image's preview and upload are
// answered meanwhile (a curve used to take the only worker), and the page's
// next curve request supersedes the held one.
TEST_F(serve_test, ACurveHoldsUpNoPreviewAndTheSamePagesNextOneSupersedesIt) {
  kmq::serve::server_options options;
  options.workers = 1;
  hold_work(options, "elbow");
  start(options);
  const std::string fruits_id = upload(read_bytes(source_dir() / fruits), "fruits.jpg").at("id");
  const std::string chelsea_id = upload(read_bytes(source_dir() / "sample_images/chelsea.png"), "chelsea.png").at("id");
  auto held = std::async(std::launch::async, [&] {
    return client().Get(("/api/images/" + fruits_id + "/elbow?page=p1&seq=1").c_str());
  });
  gate_->wait_started(1);
  httplib::Client quick("127.0.0.1", port_);
  quick.set_read_timeout(20, 0);
  auto preview = quick.Get(("/api/images/" + chelsea_id + "/preview?k=8&seq=1").c_str());
  ASSERT_TRUE(preview) << "a preview waited behind the curve";
  EXPECT_EQ(preview->status, 200) << preview->body;
  auto own = quick.Get(("/api/images/" + fruits_id + "/preview?k=8&seq=1").c_str());
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
  // The page picked chelsea: its curve supersedes fruits'.
  auto next = std::async(std::launch::async, [&] {
    return client().Get(("/api/images/" + chelsea_id + "/elbow?page=p1&seq=2").c_str());
  });
  while (server_->curves_queued() < 1) std::this_thread::yield();
  gate_->open();
  expect_error(held.get(), 409, "superseded");
  auto answered = next.get();
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 200) << answered->body;
  // A page names itself in lower-case letters and digits.
  expect_error(client().Get(("/api/images/" + fruits_id + "/elbow?page=P1&seq=3").c_str()), 400, "bad_request");
}

// A curve whose image is deleted before it runs stops (it could take
// seconds of both cores for nothing).
TEST_F(serve_test, ACurveOfADeletedImageStops) {
  kmq::serve::server_options options;
  hold_work(options, "elbow");
  start(options);
  const std::string id = upload(read_bytes(source_dir() / fruits), "fruits.jpg").at("id");
  auto held = std::async(std::launch::async, [&] { return client().Get(("/api/images/" + id + "/elbow").c_str()); });
  gate_->wait_started(1);
  auto removed = client().Delete(("/api/images/" + id).c_str());
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 204);
  gate_->open();
  expect_error(held.get(), 404, "unknown_image");
}

// The same for previews and results: the work of a deleted image, running or
// waiting, answers 404 at once instead of holding the queue up.
TEST_F(serve_test, WorkOfADeletedImageStopsRunningOrWaiting) {
  kmq::serve::server_options options;
  options.workers = 1;
  hold_work(options, "preview");
  start(options);
  const std::string id = upload(read_bytes(source_dir() / fruits), "fruits.jpg").at("id");
  auto running = std::async(std::launch::async, [&] { return client().Get(("/api/images/" + id + "/preview?k=8").c_str()); });
  gate_->wait_started(1);
  auto waiting = std::async(std::launch::async, [&] { return client().Get(("/api/images/" + id + "/result?k=8").c_str()); });
  while (server_->queued() < 1) std::this_thread::yield();
  auto removed = client().Delete(("/api/images/" + id).c_str());
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 204);
  gate_->open();
  expect_error(running.get(), 404, "unknown_image");
  expect_error(waiting.get(), 404, "unknown_image");
}
