// kmq compress on folders and lists with --out-dir: clash names, broken files, no folder left behind.
#include <gtest/gtest.h>

#include <sys/xattr.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli_test_support.hpp"

namespace fs = std::filesystem;
using namespace kmq::testing::cli;

namespace {

TEST_F(Cli, BatchModeCompressesADirectoryAndKeepsGoingPastABrokenFile) {
  fs::create_directories(path("in"));
  fs::copy_file(sample("fruits.jpg"), path("in/fruits.jpg"));
  fs::copy_file(sample("chelsea.png"), path("in/chelsea.png"));
  write_text("in/broken.png", "nope");
  write_text("in/notes.txt", "not an image, not touched");
  fs::copy_file(sample("chelsea.png"), path("in/._chelsea.png"));  // hidden (a macOS fork's name): left out
  const outcome o = kmq("compress " + path("in") + " --out-dir " + path("out") + " -k 8 --json");
  EXPECT_EQ(o.code, 65);
  EXPECT_NE(o.err.find("broken.png"), std::string::npos);
  EXPECT_TRUE(fs::exists(path("out/fruits.png")));
  EXPECT_TRUE(fs::exists(path("out/chelsea.png")));
  EXPECT_FALSE(fs::exists(path("out/broken.png")));
  EXPECT_FALSE(fs::exists(path("out/notes.png")));
  EXPECT_FALSE(fs::exists(path("out/._chelsea.png")));
  // JSON Lines: one object per input, the failed one too.
  ASSERT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 3);
  std::istringstream lines(o.out);
  std::map<std::string, nlohmann::json> by_input;
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    by_input[fs::path(j["input"].get<std::string>()).filename().string()] = j;
  }
  EXPECT_EQ(by_input["fruits.jpg"]["status"], "ok");
  const nlohmann::json& failed = by_input["broken.png"];
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["exit_code"], 65);
  EXPECT_EQ(failed["error"], "bad_input");
  EXPECT_NE(failed["reason"].get<std::string>().find("not a recognised image"), std::string::npos) << failed;

  // fruits.jpg and fruits.png want one output: each gets one (the clash rule), broken.png still fails.
  fs::copy_file(sample("fruits.jpg"), path("in/fruits.png"));
  EXPECT_EQ(kmq("compress " + path("in") + " --out-dir " + path("out2") + " -k 8").code, 65);
  EXPECT_TRUE(fs::exists(path("out2/fruits.png")));
  EXPECT_TRUE(fs::exists(path("out2/fruits.jpg.png")));
  EXPECT_EQ(kmq("compress " + path("in/fruits.jpg") + " " + path("in/chelsea.png") + " -o " + path("x.png")).code, 64);
}

TEST_F(Cli, ADirectoryWithNoImagesSaysSoAndCreatesNothing) {
  fs::create_directories(path("empty"));
  write_text("empty/readme.txt", "no images here");
  for (const std::string flags : {"", " --json"}) {
    const outcome o = kmq("compress " + path("empty") + " --out-dir " + path("out") + flags);
    EXPECT_EQ(o.code, 66);
    EXPECT_NE(o.err.find("no images found"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find(path("empty")), std::string::npos) << o.err;
    EXPECT_FALSE(fs::exists(path("out"))) << "the output directory is created only when there is work";
  }
}

// --out-dir DIR is made when its first output is written: a run whose every
// input fails (or that stops at a check) leaves no empty folder.
TEST_F(Cli, OutDirIsNotLeftBehindByARunThatWroteNothing) {
  write_text("text.png", "this is not an image\n");
  const std::vector<std::pair<std::string, int>> cases = {
      {path("missing.png") + " --out-dir " + path("a"), 66},
      {path("text.png") + " --out-dir " + path("b/c"), 65},
      {sample("chelsea.png") + " --out-dir " + path("d") + " --labels-out " + path("l.png"), 64},
      {sample("chelsea.png") + " " + path("text.png") + " --out-dir " + path("e") + " --backend cuda --threads 1", 69}};
  for (const auto& [args, code] : cases) {
    const outcome o = kmq("compress " + args + " -k 2");
    if (code == 69 && o.code == 0) continue;  // a CUDA device answered
    EXPECT_EQ(o.code, code) << args << ": " << o.err;
  }
  for (const char* name : {"a", "b", "d", "e"}) EXPECT_FALSE(fs::exists(path(name))) << name;
  // One input written: DIR stays, with it.
  EXPECT_EQ(kmq("compress " + sample("chelsea.png") + " " + path("text.png") + " --out-dir " + path("f") + " -k 2 -q").code, 65);
  EXPECT_TRUE(fs::exists(path("f/chelsea.png")));
}

// A folder not yet there is made after the work: what would refuse the
// output is still found first. DIR/.. back to the input (review: it replaced
// the input under --force), a parent that is a file.
TEST_F(Cli, AnOutDirNotYetThereStillRefusesBeforeAnyWork) {
  fs::copy_file(sample("chelsea.png"), path("a.png"));
  const std::string original = read_text(path("a.png"));
  for (const std::string force : {"", " --force"}) {
    const outcome o = kmq("compress " + path("a.png") + " --out-dir " + path("new/..") + " -k 4" + force);
    EXPECT_EQ(o.code, 64) << o.err;
    EXPECT_NE(o.err.find("is the same file as the input"), std::string::npos) << o.err;
    EXPECT_EQ(read_text(path("a.png")), original);
    EXPECT_FALSE(fs::exists(path("new")));
  }
  write_text("file", "x");
  const outcome under_a_file = kmq("compress " + path("a.png") + " --out-dir " + path("file/sub") + " -k 4");
  EXPECT_EQ(under_a_file.code, 73) << under_a_file.err;
  EXPECT_NE(under_a_file.err.find("is not a directory"), std::string::npos) << under_a_file.err;
  EXPECT_EQ(under_a_file.err.find("a.png"), std::string::npos) << "the run stops before the image: " << under_a_file.err;
}

// kmq compress d --out-dir d can be run again: what kmq wrote into d is an
// output (marked user.kmq.origin), not an input; a PNG of the user's that an
// output would replace still stops the run before any work.
TEST_F(Cli, ARunIntoTheDirectoryItReadsCanBeRepeated) {
  fs::create_directories(path("d"));
  fs::copy_file(sample("fruits.jpg"), path("d/f.jpg"));
  fs::copy_file(sample("chelsea.png"), path("d/g.png"));
  const std::string run = "compress " + path("d") + " --out-dir " + path("d") + " -k 4";
  const outcome first = kmq(run);
  EXPECT_EQ(first.code, 64) << "g.png would replace itself";
  EXPECT_NE(first.err.find("same file as the input"), std::string::npos) << first.err;
  ASSERT_TRUE(fs::exists(path("d/f.png")));
  if (::getxattr(path("d/f.png").c_str(), "user.kmq.origin", nullptr, 0) < 0) {
    GTEST_SKIP() << "this file system keeps no user extended attributes";
  }
  const std::string written = read_text(path("d/f.png"));
  const outcome again = kmq(run + " --force");
  EXPECT_EQ(again.code, 64) << again.err;
  EXPECT_EQ(again.err.find("f.png would write"), std::string::npos) << "f.png is not taken for an input: " << again.err;
  EXPECT_EQ(read_text(path("d/f.png")), written) << "the repeated run writes the same bytes";
  EXPECT_EQ(read_text(path("d/g.png")), read_text(sample("chelsea.png"))) << "the input is untouched";
  // A copy without the mark is the user's file, an input: the clash rule of
  // kmq batch gives f.jpg another name (f.jpg.png), and f.png is not written
  // onto itself.
  fs::remove(path("d/f.png"));
  fs::copy_file(sample("coffee.png"), path("d/f.png"));
  const outcome clash = kmq(run + " --force");
  EXPECT_EQ(clash.code, 64);
  EXPECT_NE(clash.err.find("same file as the input"), std::string::npos) << clash.err;
  EXPECT_EQ(read_text(path("d/f.png")), read_text(sample("coffee.png")));
  EXPECT_EQ(read_text(path("d/f.jpg.png")), written) << "f.jpg under its clash name, the same bytes";
}

// compress --out-dir names outputs by kmq batch's clash rule: inputs that
// want one output each get one, decided by the list alone.
TEST_F(Cli, OutDirClashesFollowTheBatchRule) {
  fs::create_directories(path("in/x"));
  fs::create_directories(path("in/y"));
  fs::copy_file(sample("fruits.jpg"), path("in/x/a.jpg"));
  fs::copy_file(sample("chelsea.png"), path("in/x/a.png"));
  fs::copy_file(sample("coffee.png"), path("in/y/a.png"));
  const outcome o = kmq("compress " + path("in/x") + " " + path("in/y") + " --out-dir " + path("out") + " -k 4");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(fs::exists(path("out/a.png")));         // in/x/a.png: PNGs claim first, in list order
  EXPECT_TRUE(fs::exists(path("out/a.png.png")));     // in/y/a.png
  EXPECT_TRUE(fs::exists(path("out/a.jpg.png")));     // in/x/a.jpg
  const outcome alone = kmq("compress " + path("in/x/a.png") + " -o " + path("x-a.png") + " -k 4");
  ASSERT_EQ(alone.code, 0);
  EXPECT_EQ(read_text(path("out/a.png")), read_text(path("x-a.png")));
}

// --skip-if-larger, as pngquant's and kmq batch's: an input whose PNG would
// be larger than it gets nothing written (no PNG, no folder, no extra file,
// nothing on standard output), said on the summary's stream and in the JSON,
// exit 0; the others are written as without it.
TEST_F(Cli, SkipIfLargerWritesNothingForAnInputWhosePngWouldBeLarger) {
  fs::create_directories(path("in"));
  cv::Mat noise(64, 64, CV_8UC3);
  cv::randu(noise, 0, 255);
  ASSERT_TRUE(cv::imwrite(path("in/noise.jpg"), noise, {cv::IMWRITE_JPEG_QUALITY, 20}));  // small; its PNG is not
  const cv::Mat flat(64, 64, CV_8UC3, cv::Scalar(10, 200, 30));
  ASSERT_TRUE(cv::imwrite(path("in/flat.png"), flat, {cv::IMWRITE_PNG_COMPRESSION, 0}));  // large; its PNG is tiny
  const outcome o = kmq("compress " + path("in") + " --out-dir " + path("out/deeper") + " -k 64 --skip-if-larger --json");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(fs::exists(path("out/deeper/flat.png")));
  EXPECT_FALSE(fs::exists(path("out/deeper/noise.png")));
  std::map<std::string, nlohmann::json> by_input;
  std::istringstream lines(o.out);
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    by_input[fs::path(j["input"].get<std::string>()).filename().string()] = j;
  }
  ASSERT_EQ(by_input.size(), 2u) << o.out;
  EXPECT_EQ(by_input["flat.png"]["status"], "ok");
  const nlohmann::json& skipped = by_input["noise.jpg"];
  EXPECT_EQ(skipped["status"], "skipped_larger");
  EXPECT_FALSE(skipped.contains("output"));
  EXPECT_GT(skipped["output_bytes"].get<std::uint64_t>(), skipped["input_bytes"].get<std::uint64_t>());
  EXPECT_NE(skipped["reason"].get<std::string>().find("nothing written"), std::string::npos);
  // One input: no output, no report; the text says so.
  const outcome one = kmq("compress " + path("in/noise.jpg") + " -o " + path("n.png") + " --report " +
                          path("n.html") + " --skip-if-larger");
  EXPECT_EQ(one.code, 0) << one.err;
  EXPECT_NE(one.out.find("noise.jpg: skipped: the PNG ("), std::string::npos) << one.out;
  EXPECT_FALSE(fs::exists(path("n.png")));
  EXPECT_FALSE(fs::exists(path("n.html")));
  // A folder that only skipped inputs would fill is not made.
  EXPECT_EQ(kmq("compress " + path("in/noise.jpg") + " --out-dir " + path("none/here") + " --skip-if-larger").code, 0);
  EXPECT_FALSE(fs::exists(path("none")));
  // To standard output: nothing there, the line on standard error, exit 98 (pngquant's code).
  const outcome piped = kmq("compress " + path("in/noise.jpg") + " -o - --skip-if-larger");
  EXPECT_EQ(piped.code, 98) << piped.err;
  EXPECT_TRUE(piped.out.empty());
  EXPECT_NE(piped.err.find("skipped"), std::string::npos) << piped.err;
  // An existing output is neither replaced nor removed; without --force it is refused before any work.
  write_text("kept.png", "earlier");
  EXPECT_EQ(kmq("compress " + path("in/noise.jpg") + " -o " + path("kept.png") + " --skip-if-larger").code, 73);
  EXPECT_EQ(kmq("compress " + path("in/noise.jpg") + " -o " + path("kept.png") + " --skip-if-larger --force").code, 0);
  EXPECT_EQ(read_text(path("kept.png")), "earlier");
  // The flat image alone is written as it is without the option.
  EXPECT_EQ(kmq("compress " + path("in/flat.png") + " -o " + path("f1.png") + " -k 64 --skip-if-larger").code, 0);
  EXPECT_EQ(kmq("compress " + path("in/flat.png") + " -o " + path("f2.png") + " -k 64").code, 0);
  EXPECT_EQ(read_text(path("f1.png")), read_text(path("f2.png")));
}

}  // namespace
