// The kmq command end to end: exit codes, messages, outputs and the promise
// never to harm an input, on generated images and the sample photos.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <sys/xattr.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

struct outcome {
  int code = -1;
  std::string out, err;
};

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kmq-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string sample(const std::string& name) {
    const char* root = std::getenv("KMQ_SOURCE_DIR");
    return (fs::path(root ? root : ".") / "sample_images" / name).string();
  }

  // cwd: the folder kmq runs in (empty: this one).
  outcome kmq(const std::string& args, const std::string& cwd = "") const {
    const std::string out = path("stdout.txt"), err = path("stderr.txt");
    const std::string command =
        (cwd.empty() ? "" : "cd '" + cwd + "' && ") + std::string(KMQ_BINARY) + " " + args + " >" + out + " 2>" + err;
    const int status = std::system(command.c_str());
    outcome o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = read_text(out);
    o.err = read_text(err);
    return o;
  }

  // The same under a pseudo-terminal: stdout and stderr both land in out.
  outcome kmq_on_terminal(const std::string& args) const {
    const std::string out = path("terminal.txt");
    const std::string command =
        "script -qec '" + std::string(KMQ_BINARY) + " " + args + "' /dev/null >" + out + " 2>&1 </dev/null";
    const int status = std::system(command.c_str());
    outcome o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = read_text(out);
    return o;
  }

  static std::string read_text(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  void write_text(const std::string& name, const std::string& text) const { std::ofstream(path(name), std::ios::binary) << text; }

  // No temporary file may survive a run, whatever happened.
  void expect_no_stray_files() const {
    for (const auto& entry : fs::directory_iterator(dir_)) {
      EXPECT_NE(entry.path().filename().string().rfind(".", 0), 0u) << "left behind: " << entry.path();
    }
  }

  fs::path dir_;
};

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
  // auto: small palettes get three seedings, and the variance split's run.
  EXPECT_EQ(j["restarts"], 4);
  EXPECT_EQ(j["split_run"], true);
  const auto run = [&](const std::string& args) {
    return nlohmann::json::parse(kmq("compress " + args + " --json").out);
  };
  const nlohmann::json k64 = run(sample("fruits.jpg") + " -o " + path("f64.png") + " -k 64");
  EXPECT_EQ(k64["restarts"], 2);
  EXPECT_EQ(k64["split_run"], true);
  const nlohmann::json k256 = run(sample("fruits.jpg") + " -o " + path("f256.png") + " -k 256");
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

TEST_F(Cli, NeverReplacesAnOutputWithoutForceNorTouchesTheInput) {
  write_text("out.png", "precious");
  const outcome refused = kmq("compress " + sample("fruits.jpg") + " -o " + path("out.png") + " -k 4");
  EXPECT_EQ(refused.code, 73);
  EXPECT_NE(refused.err.find("out.png"), std::string::npos);
  EXPECT_NE(refused.err.find("--force"), std::string::npos);
  EXPECT_EQ(read_text(path("out.png")), "precious");
  EXPECT_EQ(kmq("compress " + sample("fruits.jpg") + " -o " + path("out.png") + " -k 4 --force -q").code, 0);
  EXPECT_NE(read_text(path("out.png")), "precious");

  const std::string original = read_text(path("out.png"));
  const outcome same = kmq("compress " + path("out.png") + " -o " + path("out.png") + " --force");
  EXPECT_EQ(same.code, 64);
  fs::create_symlink(path("out.png"), path("link.png"));
  EXPECT_EQ(kmq("compress " + path("out.png") + " -o " + path("link.png") + " --force").code, 64);
  EXPECT_EQ(read_text(path("out.png")), original);
  expect_no_stray_files();
}

// -o, --palette-out, --labels-out and --report naming one file (by another
// spelling or a link too) is a usage error before anything is written: the
// later file would replace the PNG under --force, or the run fail after it.
TEST_F(Cli, ExtraOutputsNamingTheOutputAreRefusedBeforeAnyWrite) {
  const std::string in = sample("chelsea.png");
  const std::string png = path("o.png");
  fs::create_directories(path("sub"));
  const std::vector<std::string> clashes = {
      " --labels-out " + png,
      " --palette-out " + path("sub/../o.png"),
      " --labels-out " + path("l.png") + " --palette-out " + path("l.png"),
      " --report " + path("r.html") + " --labels-out " + path("p.png") + " --palette-out " + path("./p.png")};
  for (const bool force : {false, true}) {
    // Relative spellings too, from the output's folder (nothing exists yet).
    const outcome relative =
        kmq("compress " + fs::absolute(in).string() + " -o o.png -k 4 --labels-out ./o.png" + (force ? " --force" : ""),
            dir_.string());
    EXPECT_EQ(relative.code, 64) << relative.err;
    EXPECT_FALSE(fs::exists(png));
    for (const std::string& clash : clashes) {
      const outcome o = kmq("compress " + in + " -o " + png + " -k 4" + clash + (force ? " --force" : ""));
      EXPECT_EQ(o.code, 64) << clash << ": " << o.err;
      EXPECT_NE(o.err.find("names the same file as"), std::string::npos) << o.err;
      EXPECT_FALSE(fs::exists(png)) << clash;
      EXPECT_FALSE(fs::exists(path("l.png")) || fs::exists(path("p.png")) || fs::exists(path("r.html"))) << clash;
    }
  }
  // A link to the PNG's path is the same file once the PNG exists.
  ASSERT_EQ(kmq("compress " + in + " -o " + png + " -k 4 -q").code, 0);
  const std::string written = read_text(png);
  fs::create_symlink(png, path("link.png"));
  EXPECT_EQ(kmq("compress " + in + " -o " + png + " -k 4 --force --labels-out " + path("link.png")).code, 64);
  EXPECT_EQ(read_text(png), written);
  EXPECT_EQ(kmq("compress " + in + " -o " + png + " -k 4 --force -q --labels-out " + path("l.png")).code, 0)
      << "distinct files are written";
  EXPECT_TRUE(fs::exists(path("l.png")));
  expect_no_stray_files();
}

TEST_F(Cli, BadInputsGetTheirDocumentedCodesAndNoOutput) {
  write_text("empty.png", "");
  write_text("text.png", "this is not an image\n");
  const std::string jpeg = read_text(sample("fruits.jpg"));
  write_text("cut.jpg", jpeg.substr(0, jpeg.size() / 2));
  // A valid PNG signature and IHDR claiming 100000 x 100000 pixels.
  std::string huge("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\x01\x86\xa0\0\x01\x86\xa0\x08\x06\0\0\0", 29);
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(huge.data() + 12), 17);
  for (int shift = 24; shift >= 0; shift -= 8) huge.push_back(static_cast<char>((crc >> shift) & 0xff));
  write_text("huge.png", huge);
  const std::vector<std::pair<std::string, int>> cases = {
      {"missing.png", 66}, {"empty.png", 65}, {"text.png", 65}, {"cut.jpg", 65}, {"huge.png", 65}};
  for (const auto& [name, code] : cases) {
    const outcome o = kmq("compress " + path(name) + " -o " + path(name + ".out.png"));
    EXPECT_EQ(o.code, code) << name << ": " << o.err;
    EXPECT_NE(o.err.find(name), std::string::npos) << "the message names the file: " << o.err;
    EXPECT_FALSE(fs::exists(path(name + ".out.png"))) << name;
  }
  const outcome unwritable = kmq("compress " + sample("fruits.jpg") + " -o " + path("text.png") + "/sub/out.png");
  EXPECT_EQ(unwritable.code, 73) << unwritable.err;
  expect_no_stray_files();
}

TEST_F(Cli, UsageErrorsExit64) {
  const std::string in = sample("fruits.jpg"), out = " -o " + path("o.png");
  for (const std::string& args : {"compress " + in + out + " -k 0", "compress " + in + out + " -k 257",
                                  "compress " + in + out + " --png-level 13", "compress " + in + out + " --init forgy",
                                  "compress " + in + out + " --backend gpu", "compress " + in + out + " --bogus",
                                  "compress " + in + out + " --restarts 0", "compress " + in + out + " --restarts 2x",
                                  "compress " + in, "compress" + out, std::string("frobnicate"), std::string("")}) {
    const outcome o = kmq(args);
    EXPECT_EQ(o.code, 64) << args << ": " << o.err;
    EXPECT_FALSE(o.err.empty());
  }
  EXPECT_FALSE(fs::exists(path("o.png")));
  EXPECT_EQ(kmq("--help").code, 0);
  const outcome help = kmq("compress --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--no-dedupe"), std::string::npos);
  const outcome version = kmq("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.out.find("cuda:"), std::string::npos);
}

TEST_F(Cli, CudaWithoutADeviceExits69) {
  const outcome version = kmq("--version");
  if (version.out.find("device: none") == std::string::npos) GTEST_SKIP() << "a CUDA device answers here";
  const outcome o = kmq("compress " + sample("fruits.jpg") + " -o " + path("o.png") + " --backend cuda");
  EXPECT_EQ(o.code, 69);
  EXPECT_NE(o.err.find("cuda"), std::string::npos);
  EXPECT_FALSE(fs::exists(path("o.png")));
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

TEST_F(Cli, BatchModeCompressesADirectoryAndKeepsGoingPastABrokenFile) {
  fs::create_directories(path("in"));
  fs::copy_file(sample("fruits.jpg"), path("in/fruits.jpg"));
  fs::copy_file(sample("chelsea.png"), path("in/chelsea.png"));
  write_text("in/broken.png", "nope");
  write_text("in/notes.txt", "not an image, not touched");
  const outcome o = kmq("compress " + path("in") + " --out-dir " + path("out") + " -k 8 --json");
  EXPECT_EQ(o.code, 65);
  EXPECT_NE(o.err.find("broken.png"), std::string::npos);
  EXPECT_TRUE(fs::exists(path("out/fruits.png")));
  EXPECT_TRUE(fs::exists(path("out/chelsea.png")));
  EXPECT_FALSE(fs::exists(path("out/broken.png")));
  EXPECT_FALSE(fs::exists(path("out/notes.png")));
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

// An animated PNG is compressed as a viewer without animation shows it (its
// first frame), and kmq says so: on stderr and in the JSON's notices.
TEST_F(Cli, AnAnimatedPngSaysOnlyItsFirstFrameIsCompressed) {
  std::string png = read_text(sample("chelsea.png"));
  std::string actl = std::string("\0\0\0\x08", 4) + "acTL" + std::string("\0\0\0\x03\0\0\0\0", 8);
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(actl.data() + 4), 12);
  for (int shift = 24; shift >= 0; shift -= 8) actl.push_back(static_cast<char>((crc >> shift) & 0xff));
  png.insert(33, actl);  // after the signature and IHDR
  write_text("animated.png", png);
  const outcome o = kmq("compress " + path("animated.png") + " -o " + path("a.png") + " -k 4 --json");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("holds 2 more frames: only the first is compressed"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("\"notices\":[\"holds 2 more frames"), std::string::npos) << o.out;
  ASSERT_EQ(kmq("compress " + sample("chelsea.png") + " -o " + path("still.png") + " -k 4 -q").code, 0);
  EXPECT_TRUE(read_text(path("a.png")) == read_text(path("still.png"))) << "the first frame, as the still image";
}

TEST_F(Cli, AnOutputThatIsNotPngIsRefused) {
  for (const std::string name : {"out.jpg", "out", "out.PNG.bak"}) {
    const outcome o = kmq("compress " + sample("fruits.jpg") + " -o " + path(name));
    EXPECT_EQ(o.code, 64) << name;
    EXPECT_NE(o.err.find("does not end in .png"), std::string::npos) << o.err;
    EXPECT_FALSE(fs::exists(path(name)));
  }
  EXPECT_EQ(kmq("compress " + sample("fruits.jpg") + " -o " + path("upper.PNG") + " -k 2").code, 0);
}

TEST_F(Cli, OptionErrorsNameTheOptionAndItsRange) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-k abc", "-k/--colors: 'abc' is not a whole number from 1 to 256"},
      {"-k 0", "-k/--colors: '0' is not a whole number from 1 to 256"},
      {"--seed -1", "--seed: '-1' is not a whole number"},
      {"--tol -1", "--tol: '-1' is not a number from 0 to 1"},
      {"--max-file-size 0", "--max-file-size: '0'"},
      {"--restarts 0", "--restarts: '0' is not auto or a whole number from 1 to 1000"},
  };
  for (const auto& [flags, message] : cases) {
    const outcome o = kmq("compress " + sample("fruits.jpg") + " -o " + path("o.png") + " " + flags);
    EXPECT_EQ(o.code, 64) << flags;
    EXPECT_NE(o.err.find(message), std::string::npos) << flags << ": " << o.err;
  }
  const outcome help = kmq("compress --help");
  EXPECT_EQ(help.code, 0);
  for (const std::string shown : {"-k, --colors N", "-o, --output FILE", "--out-dir DIR", "Examples:", "Exit codes:",
                                  "PNG, JPEG, WebP, TIFF, BMP"}) {
    EXPECT_NE(help.out.find(shown), std::string::npos) << shown;
  }
  for (const std::string version : {"--version", "-V", "version"}) {
    const outcome v = kmq(version);
    EXPECT_EQ(v.code, 0) << version;
    EXPECT_EQ(v.out.rfind("kmq ", 0), 0u) << version;
  }
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
  EXPECT_FALSE(fs::exists(path("g.png")));
  EXPECT_EQ(kmq("compress - --out-dir " + path("d") + " < " + sample("chelsea.png")).code, 64);
}

}  // namespace
