// run_job() with a backend that is still being made (backend_starter's
// deferred backend, as kmq batch hands its workers): the image is decoded
// before the backend is asked for, so a batch's decodes overlap the GPU's
// set-up; and the bytes are those of the backend itself. Proved by latches
// (a factory that waits for the job's request), not by timing.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kmq/backend_starter.hpp"
#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/pipeline/run_job.hpp"

namespace fs = std::filesystem;

namespace kmq {
namespace {

constexpr std::chrono::seconds bound{20};

std::string sample(const char* name) {
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  return (fs::path(root ? root : ".") / "sample_images" / name).string();
}

// What happened, in order, on any thread: the job's stages and the backend's making.
class event_log : public observer {
 public:
  bool on_stage(job_stage stage) override {
    add(stage_name(stage));
    return true;
  }
  void add(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(what);
  }
  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> events_;
};

// A CPU backend made only once the job has asked for it (within the bound).
backend_starter::factory after_request(event_log& log) {
  return [&log](std::size_t, const backend_starter& starter) {
    if (!starter.wait_requested(bound)) throw error(error_kind::internal, "the job never asked for its backend");
    log.add("backend made");
    return make_cpu_backend(1);
  };
}

std::ptrdiff_t position(const std::vector<std::string>& events, const std::string& what) {
  const auto it = std::find(events.begin(), events.end(), what);
  return it == events.end() ? -1 : it - events.begin();
}

TEST(RunJobDeferred, DecodesBeforeItAsksForItsBackendAndGivesTheSameBytes) {
  for (const char* name : {"chelsea.png", "baboon.jpg"}) {
    image_job job;
    job.input = sample(name);
    job.quantize.kmeans.k = 16;
    const auto direct = make_cpu_backend(1);
    const job_outcome expected = run_job(job, *direct);

    event_log log;
    backend_starter starter(1, after_request(log));
    starter.start();  // as a batch worker does before its job
    const auto deferred = starter.deferred(0);
    const job_outcome got = run_job(job, *deferred, &log);
    EXPECT_EQ(got.png, expected.png) << name;
    EXPECT_EQ(got.backend, "cpu");
    EXPECT_EQ(got.threads, 1);

    const std::vector<std::string> events = log.events();
    const std::ptrdiff_t decode = position(events, "decode"), made = position(events, "backend made"),
                         histogram = position(events, "histogram");
    ASSERT_GE(decode, 0) << name;
    EXPECT_LT(decode, made) << name;      // the decode had begun (and, by run_job's order, ended) ...
    EXPECT_LT(made, histogram) << name;   // ... before the clustering could start
  }
}

// An input that fails to decode never reaches the backend: nothing asked, nothing waited for.
TEST(RunJobDeferred, AnInputThatDoesNotDecodeNeverAsksForTheBackend) {
  event_log log;
  backend_starter starter(1, after_request(log));
  const auto deferred = starter.deferred(0);
  image_job job;
  job.input = "garbage.png";
  job.input_bytes = std::make_shared<const std::vector<std::uint8_t>>(std::vector<std::uint8_t>{'n', 'o', 't', 0, 1});
  try {
    run_job(job, *deferred, &log);
    ADD_FAILURE() << "garbage decoded";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::bad_input) << e.describe();
  }
  EXPECT_FALSE(starter.requested());
  EXPECT_EQ(position(log.events(), "backend made"), -1);
}

}  // namespace
}  // namespace kmq
