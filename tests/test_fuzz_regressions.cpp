// The fuzz target's inputs replayed through run_job() in the ordinary test
// suite (and under the sanitizers with scripts/test.sh --sanitize): every
// seed in tests/fuzz_corpus/ gives an image or a kmq::error, the valid ones an
// image; every input the fuzzer once crashed on (tests/fuzz_corpus/regressions/)
// gives a kmq::error, not a crash. The input format (4 option bytes, then the
// file) is tests/fuzz/fuzz_job.hpp's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_job.hpp"
#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/pipeline/run_job.hpp"

namespace fs = std::filesystem;

namespace kmq {
namespace {

fs::path corpus_dir() {
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  return fs::path(root ? root : ".") / "tests" / "fuzz_corpus";
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name[0] != '.' && entry.path().extension() != ".md") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::uint8_t> bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

enum class result { image, kmq_error };

// What the fuzz target does with one input, minus its own checks of a success.
result replay(const fs::path& file, backend& engine, std::string& why) {
  const std::vector<std::uint8_t> data = bytes_of(file);
  const image_job job = fuzz::job_from_fuzz_input(data.data(), data.size());
  try {
    const job_outcome out = run_job(job, engine);
    EXPECT_FALSE(out.png.empty()) << file;
    EXPECT_LE(std::uint64_t{out.width} * out.height, fuzz::max_pixels) << file;
    return result::image;
  } catch (const error& e) {
    why = e.describe();
    return result::kmq_error;
  }
  // Anything else escapes and fails the test with its message.
}

// Seeds that are damaged on purpose, or a format kmq refuses (GIF).
bool broken_on_purpose(const std::string& name) {
  for (const char* prefix : {"c-bad-", "c-truncated-", "c-empty", "c-not-an-image", "c-gif"})
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

TEST(FuzzCorpus, SeedsGiveAnImageOrAKmqError) {
  const auto engine = make_cpu_backend(1);
  const std::vector<fs::path> seeds = files_in(corpus_dir());
  ASSERT_GE(seeds.size(), 50u) << "the seed corpus is missing";
  int images = 0;
  for (const fs::path& seed : seeds) {
    std::string why;
    const std::string name = seed.filename().string();
    const result r = replay(seed, *engine, why);
    images += r == result::image;
    if (!broken_on_purpose(name))
      EXPECT_EQ(r, result::image) << name << " is a valid image: " << why;
    if (name.rfind("c-bad-", 0) == 0 || name.rfind("c-empty", 0) == 0 || name.rfind("c-gif", 0) == 0 ||
        name.rfind("c-not-an-image", 0) == 0)
      EXPECT_EQ(r, result::kmq_error) << name << " is broken on purpose";
  }
  EXPECT_GE(images, 30);
}

TEST(FuzzCorpus, EveryRegressionGivesAKmqError) {
  const auto engine = make_cpu_backend(1);
  const fs::path dir = corpus_dir() / "regressions";
  ASSERT_TRUE(fs::is_directory(dir));
  for (const fs::path& input : files_in(dir)) {
    std::string why;
    EXPECT_EQ(replay(input, *engine, why), result::kmq_error) << input.filename();
  }
}

}  // namespace
}  // namespace kmq
