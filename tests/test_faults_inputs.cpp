// Fault injection on the real kmq binary: inputs that vanish or are cut short
// while a batch runs. The files that changed fail with their own exit codes,
// named on stderr and in their JSON lines; the others are written complete;
// nothing partial or temporary is left, and the inputs kmq read are untouched.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "faults_test_support.hpp"

namespace fs = std::filesystem;
using namespace kmq::testing::faults;

namespace {

// ---- inputs that change under kmq -------------------------------------------------

// CPU seconds the process has used so far (utime + stime of /proc/PID/stat).
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  std::vector<std::string> fields;
  while (rest >> field) fields.push_back(field);
  if (fields.size() < 13) return -1;
  return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A directory of four images, the first large (5120x2880 at K=256 takes
// seconds). Once kmq has listed the directory and is busy with the first, the
// test deletes the second and cuts the third in half. Expected: the second
// fails as missing (66), the third as truncated (65), each named on stderr and
// in its JSON line; the exit code is the first failure's (66); the first and
// the fourth outputs are complete (the fourth byte for byte as kmq writes it
// alone); nothing else is in the output directory; the inputs kmq read are
// untouched.
TEST_F(FaultInjection, InputsThatVanishOrShrinkMidBatch) {
  fs::create_directories(path("in"));
  fs::copy_file(sample("volna-5120x2880.jpg"), path("in/a-volna.jpg"));
  fs::copy_file(sample("fruits.jpg"), path("in/b-vanishes.jpg"));
  fs::copy_file(sample("baboon.jpg"), path("in/c-shrinks.jpg"));
  fs::copy_file(sample("fruits.jpg"), path("in/d-fruits.jpg"));
  const file_state volna = state_of(path("in/a-volna.jpg")), fruits = state_of(path("in/d-fruits.jpg"));

  const pid_t child = start({"compress", path("in").string(), "--out-dir", path("out").string(), "-k", "256", "--json"});
  // Listing the directory takes milliseconds; wait until kmq has spent a
  // quarter of a CPU second, i.e. is well into the first image.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (cpu_seconds(child) < 0.25 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const bool first_done = fs::exists(path("out/a-volna.png"));
  fs::remove(path("in/b-vanishes.jpg"));
  const std::string baboon = read_file(path("in/c-shrinks.jpg"));
  fs::resize_file(path("in/c-shrinks.jpg"), baboon.size() / 2);
  const outcome o = finish(child);
  ASSERT_FALSE(first_done) << "kmq finished the first image before the inputs changed: the test proves nothing";

  EXPECT_EQ(o.code, 66) << o.err;
  expect_names(o, "b-vanishes.jpg");
  EXPECT_NE(o.err.find("c-shrinks.jpg"), std::string::npos) << o.err;
  std::map<std::string, nlohmann::json> lines;
  std::istringstream json_lines(o.out);
  for (std::string line; std::getline(json_lines, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    lines[fs::path(j["input"].get<std::string>()).filename().string()] = j;
  }
  ASSERT_EQ(lines.size(), 4u) << o.out;
  EXPECT_EQ(lines["a-volna.jpg"]["status"], "ok");
  EXPECT_EQ(lines["b-vanishes.jpg"]["exit_code"], 66);
  EXPECT_EQ(lines["b-vanishes.jpg"]["error"], "input_unreadable");
  EXPECT_EQ(lines["c-shrinks.jpg"]["exit_code"], 65);
  EXPECT_EQ(lines["c-shrinks.jpg"]["error"], "bad_input");
  EXPECT_EQ(lines["d-fruits.jpg"]["status"], "ok");

  expect_only(path("out"), {"a-volna.png", "d-fruits.png"});
  const cv::Mat first = cv::imread(path("out/a-volna.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.cols, 5120);
  EXPECT_EQ(first.rows, 2880);
  EXPECT_EQ(lines["a-volna.jpg"]["output_bytes"].get<std::uintmax_t>(), fs::file_size(path("out/a-volna.png")));
  fs::create_directories(path("alone"));
  ASSERT_EQ(kmq({"compress", path("in/d-fruits.jpg").string(), "-o", path("alone/d.png").string(), "-k", "256", "-q"}).code, 0);
  EXPECT_EQ(read_file(path("out/d-fruits.png")), read_file(path("alone/d.png"))) << "the last output is not complete";

  EXPECT_TRUE(state_of(path("in/a-volna.jpg")) == volna);
  EXPECT_TRUE(state_of(path("in/d-fruits.jpg")) == fruits);
  EXPECT_EQ(read_file(path("in/c-shrinks.jpg")), baboon.substr(0, baboon.size() / 2));
}

}  // namespace
