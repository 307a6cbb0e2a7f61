// What the test_image_decode_*.cpp files share: the decode call at a pixel
// limit, the committed fixtures' folder, a scratch-folder fixture, and the
// check that a file is refused with the right kind and reason.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "child_process.hpp"
#include "image_fixtures.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"

namespace kmq::io::testing {

namespace fs = std::filesystem;

inline constexpr std::uint64_t limit = std::uint64_t{1} << 28;

inline decoded_image decode_image(const std::string& path, std::uint64_t max_pixels) {
  return image_decoder(decode_limits{max_pixels}).decode_file(path);
}

inline fs::path data_dir() {
  if (const char* root = std::getenv("KMQ_SOURCE_DIR")) return fs::path(root) / "tests" / "data";
  return fs::path(__FILE__).parent_path() / "data";
}

class ImageDecode : public ::testing::Test {
 protected:
  ImageDecode()
      : scratch_(std::string("kmq-decode-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()),
        dir_(scratch_.path()) {}

  std::string write(const std::string& name, const bytes& content) const {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
    return path.string();
  }

  ::kmq::testing::scratch_folder scratch_;
  fs::path dir_;
};

// Expects decoder.decode_file(path) to fail with code and a reason containing text.
inline void expect_failure_of(const image_decoder& decoder, const std::string& path, error_kind kind,
                              const std::string& text) {
  try {
    decoder.decode_file(path);
    ADD_FAILURE() << path << ": decoded, expected \"" << text << "\"";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), kind) << e.describe();
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(e.describe().find(text), std::string::npos) << e.describe();
  }
}

inline void expect_failure(const std::string& path, error_kind kind, const std::string& text,
                           std::uint64_t max_pixels = limit) {
  expect_failure_of(image_decoder(decode_limits{max_pixels}), path, kind, text);
}

}  // namespace kmq::io::testing
