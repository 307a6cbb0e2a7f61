// kmq compress end to end: what it writes and reports (JSON, spaces, odd images, quality, backends, pipes).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include "cli_test_support.hpp"

namespace fs = std::filesystem;
using namespace kmq::testing::cli;

namespace {

std::set<std::uint32_t> colours_of(const cv::Mat& image) {
  std::set<std::uint32_t> colours;
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      if (image.channels() == 4) {
        const auto p = image.at<cv::Vec4b>(y, x);
        colours.insert(p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24));
      } else {
        const auto p = image.at<cv::Vec3b>(y, x);
        colours.insert(p[0] | (p[1] << 8) | (p[2] << 16));
      }
    }
  }
  return colours;
}

TEST_F(Cli, CompressesAPhotoToAPalettePngAndReportsJson) {
  const outcome o = kmq("compress " + sample("fruits.jpg") + " -o " + path("fruits.png") + " -k 16 --json");
  ASSERT_EQ(o.code, 0) << o.err;
  const nlohmann::json j = nlohmann::json::parse(o.out);
  for (const char* key : {"input", "output", "width", "height", "colors_requested", "distinct_colors", "palette_size",
                          "iterations", "converged", "wcss", "wcss_history", "mse", "psnr", "ssim", "input_bytes",
                          "output_bytes", "backend", "device", "threads", "seed", "seconds"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  for (const char* stage : {"decode", "histogram", "seed", "iterate", "encode", "total"}) EXPECT_TRUE(j["seconds"].contains(stage));
  EXPECT_EQ(j["width"], 512);
  EXPECT_EQ(j["palette_size"], 16);
  // auto: small palettes get three seedings; fruits' 95,960 colours over
  // 0.25 MP are 6.2 colour-centroid pairs a pixel at K=16, above the split
  // run's bound (split_run_work_per_pixel).
  EXPECT_EQ(j["restarts"], 3);
  EXPECT_EQ(j["split_run"], false);
  const auto run = [&](const std::string& args) {
    return nlohmann::json::parse(kmq("compress " + args + " --json").out);
  };
  // At K=64 those are 23 pairs a pixel, above seedings_work_per_pixel: one seeding.
  const nlohmann::json k64 = run(sample("fruits.jpg") + " -o " + path("f64.png") + " -k 64");
  EXPECT_EQ(k64["restarts"], 1);
  EXPECT_EQ(k64["split_run"], false);
  // path's 149,741 colours over 4.1 MP: 2.3 pairs a pixel at K=64, so three
  // seedings (at most seedings_work_per_pixel) and the split's run beside them.
  const nlohmann::json path64 = run(sample("path-2560x1440.jpg") + " -o " + path("p64.png") + " -k 64");
  EXPECT_EQ(path64["restarts"], 4);
  EXPECT_EQ(path64["split_run"], true);
  const nlohmann::json k256 = run(sample("path-2560x1440.jpg") + " -o " + path("p256.png") + " -k 256");
  EXPECT_EQ(k256["restarts"], 1);  // above split_run_max_k: one seeding alone
  EXPECT_EQ(k256["split_run"], false);
  const nlohmann::json two = run(sample("fruits.jpg") + " -o " + path("f2.png") + " -k 64 --restarts 2");
  EXPECT_EQ(two["restarts"], 2);  // as asked: k-means++ seedings only
  EXPECT_EQ(two["split_run"], false);
  const nlohmann::json split = run(sample("fruits.jpg") + " -o " + path("fs.png") + " -k 64 --init split --restarts 5");
  EXPECT_EQ(split["restarts"], 1);  // no draws: one run is all a variance split gives
  EXPECT_EQ(split["init"], "split");
  // volna's 55,923 colours over 14.7 MP at K=16: a cheap clustering, eight seedings.
  EXPECT_EQ(run(sample("volna-5120x2880.jpg") + " -o " + path("v16.png"))["restarts"], 9);
  EXPECT_GT(j["psnr"].get<double>(), 20.0);
  EXPECT_EQ(j["output_bytes"].get<std::uint64_t>(), fs::file_size(path("fruits.png")));
  const cv::Mat decoded = cv::imread(path("fruits.png"), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(decoded.empty());
  EXPECT_EQ(decoded.cols, 512);
  EXPECT_LE(colours_of(decoded).size(), 16u);
  // Indexed PNG: colour type 3 in IHDR.
  EXPECT_EQ(static_cast<int>(read_text(path("fruits.png"))[25]), 3);
}

// --space oklab runs, says so, reports ΔE_ok next to MSE (lower than rgb's,
// at a higher MSE), gives the same bytes on any thread count; a bad space is a usage error.
TEST_F(Cli, SpaceOklabReportsTheMeanDeltaE) {
  const outcome rgb = kmq("compress " + sample("fruits.jpg") + " -o " + path("rgb.png") + " -k 16 --json");
  const outcome lab = kmq("compress " + sample("fruits.jpg") + " -o " + path("lab.png") + " -k 16 --space oklab --json");
  ASSERT_EQ(rgb.code, 0) << rgb.err;
  ASSERT_EQ(lab.code, 0) << lab.err;
  const nlohmann::json r = nlohmann::json::parse(rgb.out), l = nlohmann::json::parse(lab.out);
  EXPECT_EQ(r["space"], "rgb");
  EXPECT_EQ(l["space"], "oklab");
  ASSERT_TRUE(l["mean_delta_e_ok"].is_number());
  EXPECT_FALSE(r.contains("mean_delta_e_ok"));  // rgb skips its cost
  EXPECT_GT(l["mean_delta_e_ok"].get<double>(), 0.0);
  EXPECT_LT(l["mean_delta_e_ok"].get<double>(), 0.05);
  EXPECT_GT(l["mse"].get<double>(), r["mse"].get<double>());
  for (const char* key : {"mse", "psnr", "ssim"}) EXPECT_TRUE(l.contains(key)) << key;
  const outcome one = kmq("compress " + sample("fruits.jpg") + " -o " + path("lab1.png") + " -k 16 --space oklab --threads 1");
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_EQ(read_text(path("lab1.png")), read_text(path("lab.png")));
  const outcome bad = kmq("compress " + sample("fruits.jpg") + " -o " + path("bad.png") + " --space lab");
  EXPECT_EQ(bad.code, 64);
  EXPECT_NE(bad.err.find("--space"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(path("bad.png")));
}

TEST_F(Cli, SameBytesWithAndWithoutDedupeAndForAnyThreadCount) {
  const std::string in = sample("baboon.jpg");
  ASSERT_EQ(kmq("compress " + in + " -o " + path("a.png") + " -k 32 --seed 7 -q").code, 0);
  ASSERT_EQ(kmq("compress " + in + " -o " + path("b.png") + " -k 32 --seed 7 -q --no-dedupe --threads 1").code, 0);
  ASSERT_EQ(kmq("compress " + in + " -o " + path("c.png") + " -k 32 --seed 7 -q --threads 3").code, 0);
  const std::string a = read_text(path("a.png"));
  EXPECT_EQ(a, read_text(path("b.png")));
  EXPECT_EQ(a, read_text(path("c.png")));
  ASSERT_EQ(kmq("compress " + in + " -o " + path("d.png") + " -k 32 --seed 8 -q").code, 0);
  EXPECT_NE(a, read_text(path("d.png")));
}

// --backend auto leaves CUDA alone for images smaller than the threshold (by
// their headers); larger ones, or a threshold lowered below them, go the usual
// way (probe, then GPU or CPU). Same bytes either way.
TEST_F(Cli, AutoSendsSmallImagesToTheCpuWithoutStartingCuda) {
  if (kmq("--version").out.find("cuda: compiled in") == std::string::npos) GTEST_SKIP() << "a CPU-only build";
  const std::string photo = sample("fruits.jpg");  // 512x480
  // The threshold is 2 MP per CPU thread (backend_policy.hpp: the crossover measured on an H100 machine).
  const outcome small = kmq("compress " + photo + " -o " + path("a.png") + " -k 8 --threads 1 --verbose");
  ASSERT_EQ(small.code, 0) << small.err;
  EXPECT_NE(small.err.find("smaller than 2097152 pixels (largest 245760)"), std::string::npos) << small.err;
  EXPECT_EQ(small.err.find("no CUDA device"), std::string::npos) << small.err;
  const outcome three = kmq("compress " + photo + " -o " + path("b.png") + " -k 8 --threads 3 --verbose");
  ASSERT_EQ(three.code, 0) << three.err;
  EXPECT_NE(three.err.find("smaller than 6291456 pixels"), std::string::npos) << three.err;

  const std::string lowered = "KMQ_AUTO_GPU_MIN_PIXELS=245760 ";
  const std::string command = lowered + KMQ_BINARY + " compress " + photo + " -o " + path("c.png") +
                              " -k 8 --verbose 2>" + path("c.txt");
  ASSERT_EQ(std::system(command.c_str()), 0);
  const std::string said = read_text(path("c.txt"));
  EXPECT_EQ(said.find("smaller than"), std::string::npos) << said;
  if (kmq("--version").out.find("device: none") != std::string::npos) {
    EXPECT_NE(said.find("no CUDA device"), std::string::npos) << "auto probed CUDA for the larger image: " << said;
  }
  EXPECT_EQ(read_text(path("a.png")), read_text(path("c.png")));
  // A pipe is read once, by the decoder: auto must not sniff its header.
  const std::string piped = "bash -c '" + std::string(KMQ_BINARY) + " compress <(cat " + photo + ") -o " +
                            path("e.png") + " -k 8 2>" + path("e.txt") + "'";
  EXPECT_EQ(std::system(piped.c_str()), 0) << read_text(path("e.txt"));
  EXPECT_EQ(read_text(path("a.png")), read_text(path("e.png")));
  // Explicit choices are never changed.
  const outcome cpu = kmq("compress " + photo + " -o " + path("d.png") + " -k 8 --verbose --backend cpu");
  EXPECT_EQ(cpu.err.find("smaller than"), std::string::npos);
}

// A setting from the environment that kmq cannot use is named on stderr (its
// reader ignores it, and the library prints nothing); the run goes on.
TEST_F(Cli, AnUnusableEnvironmentSettingIsWarnedAbout) {
  const std::string photo = sample("fruits.jpg");
  const std::string command = "KMQ_CUDA_SYNC=block KMQ_AUTO_GPU_MIN_PIXELS=-1 " + std::string(KMQ_BINARY) +
                              " compress " + photo + " -o " + path("w.png") + " -k 4 2>" + path("w.txt");
  ASSERT_EQ(std::system(command.c_str()), 0) << read_text(path("w.txt"));
  const std::string said = read_text(path("w.txt"));
  EXPECT_NE(said.find("kmq: warning: KMQ_CUDA_SYNC='block' is not spin, yield or blocking: CUDA's default is used\n"),
            std::string::npos) << said;
  EXPECT_NE(said.find("kmq: warning: KMQ_AUTO_GPU_MIN_PIXELS='-1' is not a whole number of pixels"), std::string::npos)
      << said;
  const std::string usable = "KMQ_CUDA_SYNC=blocking KMQ_AUTO_GPU_MIN_PIXELS=100 " + std::string(KMQ_BINARY) +
                             " compress " + photo + " -o " + path("v.png") + " -k 4 2>" + path("v.txt");
  ASSERT_EQ(std::system(usable.c_str()), 0);
  EXPECT_EQ(read_text(path("v.txt")), "");
  EXPECT_EQ(read_text(path("w.png")), read_text(path("v.png")));
}

TEST_F(Cli, OddButValidImagesWork) {
  cv::imwrite(path("one.png"), cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3)));
  cv::Mat strip(5000, 1, CV_8UC3);
  cv::randu(strip, 0, 255);
  cv::imwrite(path("strip.png"), strip);
  cv::Mat gray16(64, 80, CV_16UC1);
  for (int y = 0; y < gray16.rows; ++y)
    for (int x = 0; x < gray16.cols; ++x) gray16.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(x * 800 + y * 20);
  cv::imwrite(path("gray16.png"), gray16);
  cv::Mat alpha(40, 256, CV_8UC4);
  for (int y = 0; y < alpha.rows; ++y)
    for (int x = 0; x < alpha.cols; ++x) alpha.at<cv::Vec4b>(y, x) = cv::Vec4b(200, static_cast<uchar>(y * 6), 30, static_cast<uchar>(x));
  cv::imwrite(path("alpha.png"), alpha);
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  const std::string cmyk = (fs::path(root ? root : ".") / "tests/data/cmyk.jpg").string();

  const std::vector<std::pair<std::string, std::string>> cases = {
      {path("one.png"), "-k 16"}, {path("strip.png"), "-k 8"}, {path("gray16.png"), "-k 16"},
      {path("alpha.png"), "-k 32"}, {cmyk, "-k 16"}, {sample("chelsea.png"), "-k 1"},
      {sample("chelsea.png"), "-k 256"}, {path("one.png"), "-k 256"}};
  int n = 0;
  for (const auto& [input, k] : cases) {
    const std::string out = path("out" + std::to_string(n++) + ".png");
    const outcome o = kmq("compress " + input + " -o " + out + " " + k + " --json");
    ASSERT_EQ(o.code, 0) << input << " " << k << ": " << o.err;
    const cv::Mat decoded = cv::imread(out, cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(decoded.empty()) << out;
    const int colours = std::stoi(k.substr(3));
    EXPECT_LE(colours_of(decoded).size(), static_cast<std::size_t>(colours)) << input;
  }
  // The alpha gradient survives as translucent palette entries (tRNS).
  const cv::Mat alpha_out = cv::imread(path("out3.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(alpha_out.channels(), 4);
  EXPECT_LT(alpha_out.at<cv::Vec4b>(0, 0)[3], 40);
  EXPECT_GT(alpha_out.at<cv::Vec4b>(0, 255)[3], 215);
  // K above the distinct colours: lossless.
  const nlohmann::json lossless = nlohmann::json::parse(kmq("compress " + path("one.png") + " -o " + path("l.png") + " -k 4 --json").out);
  EXPECT_TRUE(lossless["lossless"].get<bool>());
  EXPECT_TRUE(lossless["psnr"].is_null());
}

// An animated PNG is compressed as a viewer without animation shows it (its
// first frame), and kmq says so: on stderr and in the JSON's notices.
TEST_F(Cli, AnAnimatedPngSaysOnlyItsFirstFrameIsCompressed) {
  std::string png = read_text(sample("chelsea.png"));
  // Two frames besides the image shown (no fcTL before IDAT: that image is none of them).
  std::string actl = std::string("\0\0\0\x08", 4) + "acTL" + std::string("\0\0\0\x02\0\0\0\0", 8);
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(actl.data() + 4), 12);
  for (int shift = 24; shift >= 0; shift -= 8) actl.push_back(static_cast<char>((crc >> shift) & 0xff));
  png.insert(33, actl);  // after the signature and IHDR
  write_text("animated.png", png);
  const outcome o = kmq("compress " + path("animated.png") + " -o " + path("a.png") + " -k 4 --json");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("holds 2 more frames: only the first is compressed"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("\"notices\":[\"holds 2 more frames"), std::string::npos) << o.out;
  // From a pipe, the notice names the input as the errors do.
  const std::string piped = "cat " + path("animated.png") + " | " + std::string(KMQ_BINARY) + " compress - -o " +
                            path("p.png") + " -k 4 2>" + path("p.txt");
  ASSERT_EQ(std::system(piped.c_str()), 0);
  EXPECT_NE(read_text(path("p.txt")).find("kmq: (standard input): holds 2 more frames"), std::string::npos)
      << read_text(path("p.txt"));
  ASSERT_EQ(kmq("compress " + sample("chelsea.png") + " -o " + path("still.png") + " -k 4 -q").code, 0);
  EXPECT_TRUE(read_text(path("a.png")) == read_text(path("still.png"))) << "the first frame, as the still image";
}

// On a terminal (a pseudo-terminal made by script(1)), an image that takes
// over a second shows a progress line, erased before the summary; elsewhere
// no escape sequence ever reaches the output.
TEST_F(Cli, LongImagesShowAProgressLineOnATerminalOnly) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "script(1) from util-linux is missing";
  const std::string args = "compress " + sample("volna-5120x2880.jpg") + " -o " + path("v.png") + " -k 256";
  // The line from the first moment (test-only hook), so a fast machine sees it too.
  ::setenv("KMQ_TEST_PROGRESS_AFTER_MS", "0", 1);
  const outcome on_tty = kmq_on_terminal(args);
  ASSERT_EQ(on_tty.code, 0) << on_tty.out;
  EXPECT_NE(on_tty.out.find("\r\033[Kkmq: " + sample("volna-5120x2880.jpg") + ": "), std::string::npos) << on_tty.out;
  EXPECT_NE(on_tty.out.find("\r\033[K" + sample("volna-5120x2880.jpg") + " -> "), std::string::npos)
      << "the line is erased before the summary: " << on_tty.out;
  const outcome plain = kmq(args + " --force");
  ::unsetenv("KMQ_TEST_PROGRESS_AFTER_MS");
  ASSERT_EQ(plain.code, 0);
  EXPECT_EQ(plain.err.find('\033'), std::string::npos) << plain.err;
  EXPECT_EQ(plain.out.find('\033'), std::string::npos) << plain.out;
}

TEST_F(Cli, QualityAndLevels) {
  const std::string input = sample("chelsea.png");  // 40.8 dB at K = 256
  const outcome impossible = kmq("compress " + input + " -o " + path("q.png") + " --quality 60-70");
  EXPECT_EQ(impossible.code, 99) << impossible.err;
  EXPECT_NE(impossible.err.find("below the --quality minimum"), std::string::npos) << impossible.err;
  EXPECT_FALSE(fs::exists(path("q.png")));
  expect_no_stray_files();

  const outcome chosen = kmq("compress " + input + " -o " + path("q.png") + " --quality 30-33 --json");
  ASSERT_EQ(chosen.code, 0) << chosen.err;
  const nlohmann::json j = nlohmann::json::parse(chosen.out);
  const int k = j["colors_requested"].get<int>();
  EXPECT_GE(j["psnr"].get<double>(), 33.0);
  EXPECT_FALSE(j["ks_tried"].empty());
  // The smallest such K: one colour fewer misses the target.
  const nlohmann::json below = nlohmann::json::parse(
      kmq("compress " + input + " -o " + path("b.png") + " --json -k " + std::to_string(k - 1)).out);
  EXPECT_LT(below["psnr"].get<double>(), 33.0);
  // And the same bytes as -k K.
  ASSERT_EQ(kmq("compress " + input + " -o " + path("k.png") + " -k " + std::to_string(k)).code, 0);
  EXPECT_EQ(read_text(path("q.png")), read_text(path("k.png")));

  EXPECT_EQ(kmq("compress " + input + " -o " + path("x.png") + " -k 8 --quality 30-40").code, 64);
  EXPECT_EQ(kmq("compress " + input + " -o " + path("x.png") + " --quality 40-30").code, 64);
  EXPECT_EQ(kmq("compress " + input + " -o " + path("x.png") + " --level huge").code, 64);
  // Levels are PSNR targets; -k wins over a level.
  double previous = 0;
  for (const std::string level : {"smallest", "balanced", "best"}) {
    const nlohmann::json r = nlohmann::json::parse(
        kmq("compress " + input + " -o " + path(level + ".png") + " --json --level " + level).out);
    EXPECT_GT(r["psnr"].get<double>(), previous) << level;
    previous = r["psnr"].get<double>();
  }
  const nlohmann::json fixed =
      nlohmann::json::parse(kmq("compress " + input + " -o " + path("f.png") + " --json --level best -k 5").out);
  EXPECT_EQ(fixed["colors_requested"], 5);
  // Two targets at once is a mistake to name, not one to resolve silently.
  const outcome both = kmq("compress " + input + " -o " + path("both.png") + " --level best --quality 30");
  EXPECT_EQ(both.code, 64) << both.err;
  EXPECT_NE(both.err.find("--level and --quality"), std::string::npos) << both.err;
  EXPECT_FALSE(fs::exists(path("both.png")));
}

TEST_F(Cli, StandardInputAndOutput) {
  const std::string command = "compress - -o - -k 8 < " + sample("chelsea.png");
  const outcome piped = kmq(command);
  ASSERT_EQ(piped.code, 0) << piped.err;
  ASSERT_EQ(kmq("compress " + sample("chelsea.png") + " -o " + path("file.png") + " -k 8").code, 0);
  EXPECT_EQ(piped.out, read_text(path("file.png"))) << "the PNG on stdout is the file's bytes";
  EXPECT_NE(piped.err.find("(standard input) -> (standard output)"), std::string::npos) << piped.err;
  write_text("garbage.txt", "not an image at all");
  const outcome garbage = kmq("compress - -o " + path("g.png") + " < " + path("garbage.txt"));
  EXPECT_EQ(garbage.code, 65) << garbage.err;
  EXPECT_EQ(garbage.err.rfind("kmq: (standard input): ", 0), 0u) << "named as the summary line names it: " << garbage.err;
  EXPECT_FALSE(fs::exists(path("g.png")));
  EXPECT_EQ(kmq("compress - --out-dir " + path("d") + " < " + sample("chelsea.png")).code, 64);
}

// A file name that is not UTF-8 is written into the JSON line as U+FFFD, and
// every input is still done (the JSON library threw: exit 70, the rest undone).
TEST_F(Cli, JsonLinesTakeFileNamesThatAreNotUtf8) {
  const std::string odd = path("in_\xff.png");
  fs::copy_file(sample("chelsea.png"), odd);
  const outcome o = kmq("compress '" + odd + "' " + sample("chelsea.png") + " --out-dir " + path("out") + " -k 4 --json");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("in_\xef\xbf\xbd.png"), std::string::npos) << o.out;
  EXPECT_TRUE(fs::exists(path("out/chelsea.png")));
  const outcome missing = kmq("compress '" + path("gone_\xff.png") + "' -o " + path("g.png") + " --json");
  EXPECT_EQ(missing.code, 66) << missing.err;
}

// An option given twice with two values is named (the last one won silently:
// -o a.png -o b.png wrote b.png alone); the same value twice, or a flag, is fine.
TEST_F(Cli, AnOptionGivenTwiceWithTwoValuesIsRefused) {
  const std::string input = sample("chelsea.png");
  const outcome two = kmq("compress " + input + " -o " + path("a.png") + " -o " + path("b.png") + " -k 4");
  EXPECT_EQ(two.code, 64) << two.err;
  EXPECT_NE(two.err.find("--output is given twice"), std::string::npos) << two.err;
  EXPECT_FALSE(fs::exists(path("a.png")));
  EXPECT_FALSE(fs::exists(path("b.png")));
  EXPECT_EQ(kmq("compress " + input + " -o " + path("c.png") + " -k 4 -k 8").code, 64);
  EXPECT_EQ(kmq("compress " + input + " -o " + path("d.png") + " -k 4 -k 4 -q -q").code, 0);
}

// One file named twice (any spelling) is one input with one output, not
// a.png and a.png.png.
TEST_F(Cli, AFileNamedTwiceIsCompressedOnce) {
  fs::create_directories(path("t"));
  fs::copy_file(sample("chelsea.png"), path("t/a.png"));
  const outcome o = kmq("compress t/a.png ./t/a.png t/../t/a.png --out-dir o -k 4 -q", path(""));
  EXPECT_EQ(o.code, 0) << o.err;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(path("o"))) names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"a.png"});
}

// The report is written before the PNG (so a failed PNG write takes it away
// too), and still names where the PNG went.
TEST_F(Cli, TheReportNamesThePngWrittenAfterIt) {
  const outcome o = kmq("compress " + sample("chelsea.png") + " -o " + path("out.png") + " -k 4 --report " + path("r.html"));
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string html = read_text(path("r.html"));
  EXPECT_NE(html.find("<code>" + path("out.png") + "</code>"), std::string::npos);
  EXPECT_EQ(html.find("(not written)"), std::string::npos);
  EXPECT_NE(html.find("after this report"), std::string::npos);
}

// Standard output pointed at the input itself (1<> or >>, which do not empty
// it first) would overwrite the input: refused as -o INPUT is, input intact.
TEST_F(Cli, StandardOutputOntoTheInputIsRefused) {
  const std::string input = path("in.png"), err = path("onto.txt");
  fs::copy_file(sample("chelsea.png"), input);
  const std::string before = read_text(input);
  for (const std::string& redirect : {"1<>", ">>"}) {
    for (const std::string& source : {input, std::string("- <") + input}) {
      SCOPED_TRACE(redirect + " " + source);
      const std::string command = std::string(KMQ_BINARY) + " compress " + source + " -o - -k 8 " + redirect + input + " 2>" + err;
      const int status = std::system(command.c_str());
      EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 64);
      EXPECT_NE(read_text(err).find("standard output is the input file"), std::string::npos) << read_text(err);
      EXPECT_EQ(read_text(input), before) << "the input was written to";
    }
  }
}

}  // namespace
