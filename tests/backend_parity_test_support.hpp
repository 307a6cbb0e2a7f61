// What the test_backend_parity*.cpp files share: the BackendParity fixture, a
// CPU backend with one thread as the reference beside the backend under test.
// The files make one executable, test_backend_parity, because
// bench/device_check.sh picks its CUDA cases by name from that one binary
// (memcheck, racecheck, the run without CUDA graphs); the backends the cases
// run on are listed in test_backend_parity.cpp.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kmq/backend.hpp"
#include "kmq/backend_select.hpp"
#include "kmq/cuda_backend.hpp"
#include "test_support.hpp"

namespace kmq::testing::backend_parity {

// The backend a parameter names ("cpu4", "cuda"); in test_backend_parity.cpp,
// beside the list the cases are instantiated with.
std::unique_ptr<backend> make_named(const std::string& name);

class BackendParity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "cuda") {
      const cuda_status status = cuda_probe();
      // Skips, or fails where KMQ_REQUIRE_GPU=1 says a device must answer.
      if (!status.available) return testing::skip_or_fail_without_gpu("CUDA backend unavailable: " + status.reason);
    }
    reference_ = make_cpu_backend(1);
    tested_ = make_named(GetParam());
    ASSERT_NE(tested_, nullptr);
  }

  void upload_both(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights) {
    reference_->upload(points.data(), weights.data(), points.size());
    tested_->upload(points.data(), weights.data(), points.size());
    ASSERT_EQ(tested_->size(), points.size());
  }

  std::unique_ptr<backend> reference_;
  std::unique_ptr<backend> tested_;
};

}  // namespace kmq::testing::backend_parity
