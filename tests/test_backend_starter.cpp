// backend_starter and its deferred backends: made on a thread of their own,
// in order, only once asked for; the caller goes on meanwhile; a failure
// reaches every later backend; a deferred backend gives the bytes of the one
// behind it. The overlap is proved by latches, never by timing: a factory
// that waits (boundedly) for the caller's request fails where the making is
// not overlapped.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "kmq/backend_select.hpp"
#include "kmq/backend_starter.hpp"
#include "kmq/error.hpp"
#include "kmq/quantize.hpp"
#include "kmq/remap.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

constexpr std::chrono::seconds bound{20};  // a latch that is never released fails the test after this

struct made_log {
  std::mutex mutex;
  std::vector<std::size_t> indices;
  std::set<std::thread::id> threads;
};

backend_starter::factory logging_cpu_factory(made_log& log) {
  return [&log](std::size_t index, const backend_starter&) {
    std::lock_guard<std::mutex> lock(log.mutex);
    log.indices.push_back(index);
    log.threads.insert(std::this_thread::get_id());
    return make_cpu_backend(1);
  };
}

TEST(BackendStarter, MakesNothingBeforeStartOrGet) {
  made_log log;
  {
    backend_starter starter(3, logging_cpu_factory(log));
    const auto deferred = starter.deferred(1);  // handing one out asks for nothing
    EXPECT_FALSE(starter.requested());
  }
  EXPECT_TRUE(log.indices.empty());
}

TEST(BackendStarter, MakesThemInOrderOnOneThreadOfItsOwn) {
  made_log log;
  backend_starter starter(3, logging_cpu_factory(log));
  EXPECT_EQ(starter.get(2).name(), "cpu");  // waits for 0 and 1 too
  EXPECT_EQ(&starter.get(2), &starter.get(2));
  EXPECT_FALSE(starter.requested());  // get() is not a deferred backend's request
  std::lock_guard<std::mutex> lock(log.mutex);
  EXPECT_EQ(log.indices, (std::vector<std::size_t>{0, 1, 2}));
  ASSERT_EQ(log.threads.size(), 1u);
  EXPECT_NE(*log.threads.begin(), std::this_thread::get_id());
}

// start() returns while the factory has made nothing: here the factory waits for a deferred
// backend's first call, which comes only after the caller's own work. A start() that made the
// backends itself would wait out the bound, and the call would throw.
TEST(BackendStarter, TheCallerWorksWhileTheBackendsAreMade) {
  std::atomic<bool> caller_worked{false};
  std::atomic<bool> saw_the_work{false};
  backend_starter starter(2, [&](std::size_t index, const backend_starter& self) {
    if (index == 0) {
      if (!self.wait_requested(bound)) throw error(error_kind::internal, "never asked for: not overlapped");
      saw_the_work = caller_worked.load();
    }
    return make_cpu_backend(1);
  });
  const auto deferred = starter.deferred(1);
  starter.start();
  starter.start();  // once only
  EXPECT_FALSE(starter.requested());
  caller_worked = true;  // stands for the first decodes
  EXPECT_EQ(deferred->name(), "cpu");  // waits for backend 1, made after backend 0
  EXPECT_TRUE(starter.requested());
  EXPECT_TRUE(saw_the_work);
}

TEST(BackendStarter, AFailureReachesThatBackendAndEveryLaterOne) {
  std::atomic<int> calls{0};
  backend_starter starter(3, [&](std::size_t index, const backend_starter&) -> std::unique_ptr<backend> {
    ++calls;
    if (index == 1) throw error(error_kind::backend_unavailable, "--backend cuda: no NVIDIA GPU found");
    return make_cpu_backend(1);
  });
  EXPECT_EQ(starter.get(0).name(), "cpu");
  for (std::size_t i : {std::size_t{2}, std::size_t{1}}) {
    try {
      starter.get(i);
      ADD_FAILURE() << "backend " << i << " was made after a failure";
    } catch (const error& e) {
      EXPECT_EQ(e.kind(), error_kind::backend_unavailable);
      EXPECT_NE(std::string(e.what()).find("no NVIDIA GPU"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(calls.load(), 2);  // nothing after the failure
  EXPECT_THROW(starter.get(3), error);  // no such backend
}

TEST(BackendStarter, AFactoryThatMakesNothingIsAnError) {
  backend_starter starter(1, [](std::size_t, const backend_starter&) { return std::unique_ptr<backend>(); });
  EXPECT_THROW(starter.get(0), error);
}

// Destroyed while the factory still runs (a CUDA context half-made): it waits for the thread.
TEST(BackendStarter, DestructionWaitsForTheFactory) {
  std::atomic<bool> finished{false};
  {
    backend_starter starter(1, [&](std::size_t, const backend_starter& self) {
      self.wait_requested(std::chrono::milliseconds(50));  // never requested: returns false
      finished = true;
      return make_cpu_backend(1);
    });
    starter.start();
  }
  EXPECT_TRUE(finished);
}

// The pipeline's calls through a deferred backend: the same palette, labels and description as
// through the backend behind it, and the deferred one's serials kept apart from it.
TEST(DeferredBackend, GivesTheResultsOfTheBackendBehindIt) {
  const std::vector<packed_rgba> pixels = testing::clustered_with_noise(64 * 48, 12, true, 7);
  const image_view image = view_of(pixels.data(), 64, 48);
  quantize_options options;
  options.kmeans.k = 8;
  options.kmeans.seed = 3;

  const auto direct = make_cpu_backend(2);
  const quantize_result expected = quantize(image, options, *direct);
  const label_map expected_labels = remap(image, expected, remap_options{}, *direct);

  backend_starter starter(1, [](std::size_t, const backend_starter&) { return make_cpu_backend(2); });
  const auto deferred = starter.deferred(0);
  EXPECT_FALSE(starter.requested());
  EXPECT_EQ(deferred->name(), direct->name());
  EXPECT_EQ(deferred->device(), direct->device());
  EXPECT_EQ(deferred->threads(), direct->threads());
  for (int round = 0; round < 2; ++round) {  // a second image on the same deferred backend
    const quantize_result got = quantize(image, options, *deferred);
    EXPECT_EQ(got.palette, expected.palette);
    EXPECT_EQ(got.usage, expected.usage);
    EXPECT_EQ(got.wcss, expected.wcss);
    EXPECT_EQ(remap(image, got, remap_options{}, *deferred).indices, expected_labels.indices);
  }
  EXPECT_EQ(deferred->image_serial(), 2u);
  EXPECT_EQ(starter.get(0).image_serial(), 0u);  // the pipeline saw only the deferred one
}

}  // namespace
}  // namespace kmq
