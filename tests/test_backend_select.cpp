#include <gtest/gtest.h>

#include "kmq/backend_select.hpp"
#include "kmq/cuda_backend.hpp"
#include "kmq/error.hpp"

namespace kmq {
namespace {

TEST(BackendSelect, ParsesTheThreeChoices) {
  EXPECT_EQ(parse_backend_choice("auto"), backend_choice::automatic);
  EXPECT_EQ(parse_backend_choice("cpu"), backend_choice::cpu);
  EXPECT_EQ(parse_backend_choice("cuda"), backend_choice::cuda);
  EXPECT_THROW(parse_backend_choice("gpu"), error);
}

TEST(BackendSelect, CpuIsAlwaysThereWithTheThreadsAskedFor) {
  auto engine = make_backend(backend_choice::cpu, 3);
  EXPECT_EQ(engine->name(), "cpu");
  EXPECT_EQ(engine->threads(), 3);
  EXPECT_EQ(engine->device(), "3 threads");
  EXPECT_GE(make_backend(backend_choice::cpu, 0)->threads(), 1);
}

TEST(BackendSelect, AutoUsesCudaExactlyWhenADeviceAnswers) {
  const cuda_status cuda = cuda_probe();
  EXPECT_EQ(make_backend(backend_choice::automatic, 1)->name(), cuda.available ? "cuda" : "cpu");
}

TEST(BackendSelect, ExplicitCudaWithoutADeviceIsAnErrorNotAFallback) {
  const cuda_status cuda = cuda_probe();
  if (cuda.available) GTEST_SKIP() << "a CUDA device answers here: " << cuda.device_name;
  EXPECT_FALSE(cuda.reason.empty());
  try {
    make_backend(backend_choice::cuda, 1);
    FAIL() << "expected backend_unavailable";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::backend_unavailable);
    EXPECT_NE(std::string(e.what()).find(cuda.reason), std::string::npos);
  }
}

}  // namespace
}  // namespace kmq
