// kmq serve's pages: closing one removes its images (at once with
// --page-grace 0, else when the grace passes) and refuses its late uploads;
// a page back within the grace (a reload) gets its images again, and a late
// close or upload of an earlier load leaves it alone. The grace tests wait
// it out (2-3 s): the one place these tests use timing.
#include <chrono>
#include <thread>

#include "serve_test_support.hpp"

using namespace kmq::testing::serve;

namespace {

// A server whose closed pages keep their images for grace seconds.
class serve_pages : public serve_test {
 protected:
  void start_with_grace(int grace) {
    kmq::serve::server_options options;
    options.page_grace_seconds = grace;
    start(options);
  }
};

// A page that closes takes its images with it (here at once: --page-grace 0),
// and an upload of its that arrives afterwards is not kept: 410.
TEST_F(serve_pages, ClosingAPageRemovesItsImagesAndRefusesItsLateUploads) {
  start_with_grace(0);
  const std::string bytes = read_bytes(source_dir() / "sample_images/chelsea.png");
  auto first = client().Post("/api/images?page=p1&name=a.png", bytes, "application/octet-stream");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  const std::string a = json::parse(first->body).at("id");
  const std::string other = upload(bytes, "b.png").at("id");  // no page: not the page's
  auto closed = client().Post("/api/pages/p1/close", "", "application/octet-stream");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->status, 200) << closed->body;
  EXPECT_EQ(json::parse(closed->body).at("removed"), 1);
  expect_error(client().Get(("/api/images/" + a + "/result?k=4").c_str()), 404, "unknown_image");
  auto still = client().Get(("/api/images/" + other + "/result?k=4").c_str());
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
  expect_error(client().Post("/api/images?page=p1&name=late.png", bytes, "application/octet-stream"), 410, "page_closed");
  expect_error(client().Post("/api/images?page=P!&name=x.png", bytes, "application/octet-stream"), 400, "bad_request");
  expect_error(client().Post("/api/pages/Bad/close", "", "application/octet-stream"), 400, "bad_request");
}

// With a grace (--page-grace), a closed page's images stay until it passes;
// the page asking for its images within it (a reload) gets them, oldest
// first, and its close is undone; after it they are gone.
TEST_F(serve_pages, AClosedPageGetsItsImagesBackWithinTheGrace) {
  start_with_grace(3);
  const std::string bytes = read_bytes(source_dir() / "sample_images/chelsea.png");
  std::vector<std::string> ids;
  for (const char* name : {"a.png", "b.png"}) {
    auto up = client().Post((std::string("/api/images?page=p2&name=") + name).c_str(), bytes, "application/octet-stream");
    ASSERT_TRUE(up);
    ASSERT_EQ(up->status, 200) << up->body;
    ids.push_back(json::parse(up->body).at("id"));
  }
  auto closed = client().Post("/api/pages/p2/close", "", "application/octet-stream");
  ASSERT_TRUE(closed);
  EXPECT_EQ(json::parse(closed->body).at("removed"), 0);
  EXPECT_EQ(json::parse(closed->body).at("kept_seconds"), 3);
  // Closed: its late uploads are refused, but its images still answer.
  expect_error(client().Post("/api/images?page=p2&name=late.png", bytes, "application/octet-stream"), 410, "page_closed");
  auto back = client().Get("/api/pages/p2/images");
  ASSERT_TRUE(back);
  ASSERT_EQ(back->status, 200) << back->body;
  const json listed = json::parse(back->body).at("images");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].at("id"), ids[0]);
  EXPECT_EQ(listed[0].at("name"), "a.png");
  EXPECT_EQ(listed[1].at("id"), ids[1]);
  // Reopened: uploads are taken again, and the grace no longer runs.
  auto again = client().Post("/api/images?page=p2&name=c.png", bytes, "application/octet-stream");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));
  auto kept = client().Get(("/api/images/" + ids[0] + "/result?k=4").c_str());
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, 200);
  // Closed again and not reopened: gone once the grace has passed.
  client().Post("/api/pages/p2/close", "", "application/octet-stream");
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));
  expect_error(client().Get(("/api/images/" + ids[0] + "/result?k=4").c_str()), 404, "unknown_image");
  EXPECT_EQ(json::parse(client().Get("/api/pages/p2/images")->body).at("images").size(), 0u);
  // A page never seen lists nothing; a bad name is refused.
  EXPECT_EQ(json::parse(client().Get("/api/pages/neverseen/images")->body).at("images").size(), 0u);
  expect_error(client().Get("/api/pages/Bad/images"), 400, "bad_request");
}

// Each load of a page names itself (instance=). After a reload (load b), the
// earlier load's (a) close or upload that arrives late is not taken for b's:
// the close is ignored, the upload refused; b's own close counts.
TEST_F(serve_pages, AnEarlierLoadsLateCloseOrUploadLeavesTheReloadedPageAlone) {
  start_with_grace(2);
  const std::string bytes = read_bytes(source_dir() / "sample_images/chelsea.png");
  auto up = client().Post("/api/images?page=p3&instance=a&name=a.png", bytes, "application/octet-stream");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 200) << up->body;
  const std::string id = json::parse(up->body).at("id");
  EXPECT_EQ(json::parse(client().Get("/api/pages/p3/images?instance=b")->body).at("images").size(), 1u);
  auto late_close = client().Post("/api/pages/p3/close?instance=a", "", "application/octet-stream");
  ASSERT_TRUE(late_close);
  EXPECT_EQ(late_close->status, 200);
  expect_error(client().Post("/api/images?page=p3&instance=a&name=late.png", bytes, "application/octet-stream"), 410,
               "page_closed");
  auto own = client().Post("/api/images?page=p3&instance=b&name=b.png", bytes, "application/octet-stream");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));  // past a's grace, had its close counted
  auto kept = client().Get(("/api/images/" + id + "/result?k=4").c_str());
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, 200);
  // b's close counts; past its grace the page's images are gone, at any request.
  client().Post("/api/pages/p3/close?instance=b", "", "application/octet-stream");
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  auto status = client().Get("/api/status");
  ASSERT_TRUE(status);
  EXPECT_EQ(json::parse(status->body).at("memory_bytes"), 0) << status->body;
  expect_error(client().Post("/api/pages/p3/close?instance=Bad", "", "application/octet-stream"), 400, "bad_request");
}

}  // namespace
