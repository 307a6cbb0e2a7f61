// kmq serve's work queue alone: a running item is told to stop (its
// still_wanted() turns false) when a newer item of the same image arrives, and
// items of other images or without a sequence number are left alone.
// Deterministic: the running task waits for the newer item to be queued.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "kmq/error.hpp"
#include "request_settings.hpp"
#include "work_queue.hpp"

using kmq::serve::superseded_error;
using kmq::serve::work_queue;

namespace {

// Runs until its still_wanted() says stop (or the newer item is in place and it was not told).
struct stoppable {
  std::promise<void> started;
  std::atomic<bool> stopped{false};
  void operator()(const work_queue::still_wanted& wanted, work_queue& queue) {
    started.set_value();
    while (queue.waiting() == 0) std::this_thread::yield();  // the newer request is queued
    stopped = !wanted();
    if (stopped) throw superseded_error();
  }
};

}  // namespace

TEST(ServeWorkQueue, ARunningItemIsToldToStopByANewerOneOfItsImage) {
  work_queue queue(1, 4, nullptr);
  stoppable task;
  auto first = std::async(std::launch::async, [&] {
    queue.run("preview", "a", 1, [&](const work_queue::still_wanted& wanted) { task(wanted, queue); });
  });
  task.started.get_future().wait();
  std::atomic<bool> second_ran{false};
  queue.run("preview", "a", 2, [&](const work_queue::still_wanted& wanted) { second_ran = wanted(); });
  EXPECT_THROW(first.get(), superseded_error);
  EXPECT_TRUE(task.stopped);
  EXPECT_TRUE(second_ran);
}

TEST(ServeWorkQueue, OtherImagesAndUnnumberedItemsAreNotSuperseded) {
  for (const auto& [image, seq] : {std::pair<std::string, std::uint64_t>{"b", 2}, {"a", 0}}) {
    work_queue queue(1, 4, nullptr);
    stoppable task;
    auto first = std::async(std::launch::async, [&] {
      queue.run("preview", "a", 1, [&](const work_queue::still_wanted& wanted) { task(wanted, queue); });
    });
    task.started.get_future().wait();
    queue.run("download", image, seq, [](const work_queue::still_wanted&) {});
    EXPECT_NO_THROW(first.get()) << image << " " << seq;
    EXPECT_FALSE(task.stopped) << image << " " << seq;
  }
}

TEST(ServeWorkQueue, ErrorsOfATaskReachItsCaller) {
  work_queue queue(2, 4, nullptr);
  EXPECT_THROW(queue.run("x", "", 0, [](const work_queue::still_wanted&) { throw std::runtime_error("boom"); }),
               std::runtime_error);
  int value = 0;
  queue.run("x", "", 0, [&](const work_queue::still_wanted&) { value = 42; });
  EXPECT_EQ(value, 42);
}

// A newer request refused as busy must not supersede the running one: it never
// got a place, so the older one is still the newest wanted.
TEST(ServeWorkQueue, ANewerRequestRefusedAsBusySupersedesNothing) {
  work_queue queue(1, 1, nullptr);
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> still_wanted_after{false};
  auto running = std::async(std::launch::async, [&] {
    queue.run("preview", "a", 1, [&](const work_queue::still_wanted& wanted) {
      started.set_value();
      released.wait();
      still_wanted_after = wanted();
    });
  });
  started.get_future().wait();
  // The one queue place is taken by another image's item.
  auto waiting = std::async(std::launch::async, [&] { queue.run("upload", "", 0, [](const work_queue::still_wanted&) {}); });
  while (queue.waiting() == 0) std::this_thread::yield();
  EXPECT_THROW(queue.run("preview", "a", 2, [](const work_queue::still_wanted&) {}), kmq::serve::busy_error);
  release.set_value();
  EXPECT_NO_THROW(running.get());
  EXPECT_TRUE(still_wanted_after);
  waiting.get();
  // And a request for the image with the first's number is still taken.
  EXPECT_NO_THROW(queue.run("preview", "a", 1, [](const work_queue::still_wanted&) {}));
}

// A newer request takes the place of an older one of its image waiting in a full queue.
TEST(ServeWorkQueue, ANewerRequestReplacesAnOlderOneWaitingInAFullQueue) {
  work_queue queue(1, 1, nullptr);
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  auto running = std::async(std::launch::async, [&] {
    queue.run("upload", "", 0, [&](const work_queue::still_wanted&) {
      started.set_value();
      released.wait();
    });
  });
  started.get_future().wait();
  auto older = std::async(std::launch::async, [&] { queue.run("preview", "a", 1, [](const work_queue::still_wanted&) {}); });
  while (queue.waiting() == 0) std::this_thread::yield();
  auto newer = std::async(std::launch::async, [&] { queue.run("preview", "a", 2, [](const work_queue::still_wanted&) {}); });
  EXPECT_THROW(older.get(), superseded_error);
  release.set_value();
  EXPECT_NO_THROW(newer.get());
  running.get();
}

// Two PSNR targets that %g would print alike have different keys and command lines.
TEST(ServeRequestSettings, PsnrIsPrintedExactly) {
  const auto settings = [](const std::string& psnr) {
    return kmq::serve::read_settings({{"psnr", psnr}});
  };
  const auto a = settings("40.0000001"), b = settings("40.0000002"), round = settings("40");
  EXPECT_NE(a.key(), b.key());
  EXPECT_NE(a.command_line("x.png").find("--quality 40.0000001"), std::string::npos) << a.command_line("x.png");
  const std::string line = round.command_line("x.png");
  EXPECT_EQ(line.substr(line.size() - 13), " --quality 40") << line;
  // A file name a shell would read otherwise is quoted: the line can be pasted.
  EXPECT_NE(round.command_line("my photo (1).png").find("kmq compress 'my photo (1).png' -o OUT.png"), std::string::npos);
  EXPECT_NE(round.command_line("$(touch x).png").find("kmq compress '$(touch x).png' -o"), std::string::npos);
}

// Stopping the queue (the server's stop) tells a running item to stop and
// answers a waiting one "stopping": httplib's own stop waits for their requests.
TEST(ServeWorkQueue, StopTellsARunningItemToStopAndAnswersWaitingOnesStopping) {
  work_queue queue(1, 4, nullptr);
  std::promise<void> started;
  std::atomic<bool> stopping{false};
  auto running = std::async(std::launch::async, [&] {
    queue.run("elbow", "", 0, [&](const work_queue::still_wanted& wanted) {
      started.set_value();
      while (wanted()) std::this_thread::yield();
      stopping = true;
    });
  });
  started.get_future().wait();
  auto waiting = std::async(std::launch::async, [&] { queue.run("preview", "a", 1, [](const work_queue::still_wanted&) {}); });
  while (queue.waiting() < 1) std::this_thread::yield();
  queue.stop();
  EXPECT_NO_THROW(running.get());
  EXPECT_TRUE(stopping);
  EXPECT_THROW(waiting.get(), kmq::serve::stopping_error);
  EXPECT_THROW(queue.run("preview", "a", 2, [](const work_queue::still_wanted&) {}), kmq::serve::stopping_error);
}

// A running item that the stop cancels (the pipeline throws its cancellation)
// is answered "stopping", not "superseded": no newer request won.
TEST(ServeWorkQueue, WorkCancelledByTheStopIsAnsweredStopping) {
  work_queue queue(1, 4, nullptr);
  std::promise<void> started;
  auto running = std::async(std::launch::async, [&] {
    queue.run("preview", "a", 1, [&](const work_queue::still_wanted& wanted) {
      started.set_value();
      while (wanted()) std::this_thread::yield();
      throw kmq::error(kmq::error_kind::cancelled, "cancelled");
    });
  });
  started.get_future().wait();
  queue.stop();
  EXPECT_THROW(running.get(), kmq::serve::stopping_error);
}
