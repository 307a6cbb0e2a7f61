// kmq batch end to end, on the real binary: mirrored trees, the clash rule,
// failures in the middle, resuming after SIGKILL, the manifest's params,
// shards, NUL-separated lists, link loops, unwritable output folders,
// --skip-if-larger and empty sources. Small generated images keep it fast.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "child_process.hpp"

namespace fs = std::filesystem;

namespace {

struct run_options {
  std::vector<std::string> env;  // NAME=VALUE added
  std::string stdin_file;
  bool as_nobody = false;
};

struct outcome {
  int code = -1;
  int signal = 0;
  std::string out, err;
};

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A small image with a gradient and some noise, written by OpenCV.
void write_image(const fs::path& file, int width, int height, int seed, const std::vector<int>& params = {}) {
  cv::Mat image(height, width, CV_8UC3);
  cv::RNG random(static_cast<std::uint64_t>(seed) + 1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>((x * 255 / width + seed * 37) % 256),
                                            static_cast<uchar>((y * 255 / height + seed * 11) % 256),
                                            static_cast<uchar>(random.uniform(0, 64) + seed % 128));
    }
  }
  fs::create_directories(file.parent_path());
  ASSERT_TRUE(cv::imwrite(file.string(), image, params)) << file;
}

class Batch : public ::testing::Test {
 protected:
  Batch() : scratch_(std::string("kmq-batch-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()) {}

  fs::path path(const std::string& name) const { return scratch_.path() / name; }

  pid_t start(const std::vector<std::string>& args, const run_options& options = {}) const {
    std::vector<std::string> argv = {KMQ_BINARY, "batch"};
    argv.insert(argv.end(), args.begin(), args.end());
    ::kmq::testing::child_options child;
    if (!options.stdin_file.empty()) child.stdin_path = options.stdin_file;
    child.stdout_path = path("stdout.txt").string();
    child.stderr_path = path("stderr.txt").string();
    child.set_env = options.env;
    child.as_nobody = options.as_nobody;
    return ::kmq::testing::start_child(argv, child);
  }

  outcome wait_for(pid_t child) const {
    const ::kmq::testing::child_end end = ::kmq::testing::wait_child(child);
    outcome o;
    o.code = end.code;
    o.signal = end.signal;
    o.out = read_file(path("stdout.txt"));
    o.err = read_file(path("stderr.txt"));
    return o;
  }

  outcome kmq(const std::vector<std::string>& args, const run_options& options = {}) const {
    return wait_for(start(args, options));
  }

  // Every file below root, by path relative to it, with its bytes.
  static std::map<std::string, std::string> tree(const fs::path& root) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file()) files[fs::relative(entry.path(), root).generic_string()] = read_file(entry.path());
    }
    return files;
  }

  static std::vector<nlohmann::json> manifest_lines(const fs::path& file) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(read_file(file));
    std::string line;
    while (std::getline(in, line)) {
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) lines.push_back(j);
    }
    return lines;
  }

  // n images src/img-NN.png (some in sub/), each distinct.
  void make_images(const fs::path& root, int n, int size = 32) const {
    for (int i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%simg-%02d.%s", i % 3 == 0 ? "sub/" : "", i, i % 2 ? "jpg" : "png");
      write_image(root / name, size, size, i);
    }
  }

  ::kmq::testing::scratch_folder scratch_;
};

const std::vector<std::string> fast = {"-k", "4", "--progress", "none"};

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_F(Batch, MirrorsATreeAndLeavesOutHiddenFilesAndNonImages) {
  write_image(path("src/a.png"), 24, 20, 1);
  write_image(path("src/sub/b.jpg"), 24, 20, 2);
  write_image(path("src/sub/deeper/c.bmp"), 24, 20, 3);
  write_image(path("src/.hidden.png"), 24, 20, 4);
  write_image(path("src/.cache/d.png"), 24, 20, 5);
  std::ofstream(path("src/notes.txt")) << "not an image";
  const auto before = tree(path("src"));

  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("out").string(), "--jobs", "2", "--progress", "plain", "-k", "4"});
  ASSERT_EQ(o.code, 0) << o.err;
  std::set<std::string> names;
  for (const auto& [name, bytes] : tree(path("out"))) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"a.png", "sub/b.png", "sub/deeper/c.png"}));
  EXPECT_EQ(tree(path("src")), before);  // inputs untouched
  EXPECT_NE(o.err.find("3 written"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("2 hidden"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("1 not images"), std::string::npos) << o.err;

  // Without -r only the top folder; a second run into the source itself leaves kmq's outputs out.
  const outcome flat = kmq(std::vector<std::string>{path("src").string(), "-d", path("flat").string()} + fast);
  ASSERT_EQ(flat.code, 0) << flat.err;
  EXPECT_EQ(tree(path("flat")).size(), 1u);
  const outcome again = kmq(std::vector<std::string>{path("flat").string(), "-d", path("flat").string()} + fast);
  EXPECT_EQ(again.code, 66) << again.err;  // only kmq's own output there
  EXPECT_NE(again.err.find("written by kmq"), std::string::npos) << again.err;
}

TEST_F(Batch, NameClashesKeepEveryInput) {
  for (const char* name : {"a.jpg", "a.png", "a.jpg.png", "b.jpg", "b.tif"}) write_image(path(std::string("src/") + name), 16, 16, name[0] + name[2]);
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "--manifest", path("m.jsonl").string()} + fast);
  ASSERT_EQ(o.code, 0) << o.err;
  std::map<std::string, std::string> output_of;
  for (const auto& line : manifest_lines(path("m.jsonl"))) {
    output_of[fs::path(line["input"].get<std::string>()).filename().string()] =
        fs::path(line["output"].get<std::string>()).filename().string();
  }
  const std::map<std::string, std::string> expected = {
      {"a.png", "a.png"}, {"a.jpg.png", "a.jpg.png"}, {"a.jpg", "a.jpg.1.png"}, {"b.jpg", "b.png"}, {"b.tif", "b.tif.png"}};
  EXPECT_EQ(output_of, expected);
  EXPECT_EQ(tree(path("out")).size(), 5u);
}

TEST_F(Batch, BadFilesInTheMiddleFailAloneAndExitOne) {
  make_images(path("src"), 4);
  std::ofstream(path("src/broken.png"), std::ios::binary) << "\x89PNG\r\n\x1a\n garbage";
  std::ofstream(path("src/empty.jpg"), std::ios::binary);
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("out").string(), "--manifest", path("m.jsonl").string(), "--jobs", "2"} + fast);
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_EQ(tree(path("out")).size(), 4u);
  EXPECT_NE(o.err.find("broken.png"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("2 failed"), std::string::npos) << o.err;
  const auto lines = manifest_lines(path("m.jsonl"));
  ASSERT_EQ(lines.size(), 6u);
  int failed = 0;
  for (const auto& line : lines) {
    EXPECT_TRUE(line.contains("params")) << line;
    if (line["status"] == "failed") {
      ++failed;
      EXPECT_EQ(line["exit_code"], 65) << line;
      EXPECT_FALSE(line["reason"].get<std::string>().empty());
    } else {
      EXPECT_EQ(line["status"], "ok") << line;
      EXPECT_TRUE(line.contains("psnr"));
    }
  }
  EXPECT_EQ(failed, 2);
}

// A subfolder is made when its first output is written: none for src/bad,
// whose every input fails. (None is ever taken away: another run may be
// writing into it.)
TEST_F(Batch, FoldersOfFailedInputsAreNotLeftEmpty) {
  make_images(path("src"), 2);
  fs::create_directories(path("src/bad/deeper"));
  std::ofstream(path("src/bad/broken.png"), std::ios::binary) << "\x89PNG\r\n\x1a\n garbage";
  std::ofstream(path("src/bad/deeper/empty.jpg"), std::ios::binary);
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("out").string(), "--jobs", "2"} + fast);
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_EQ(tree(path("out")).size(), 2u);
  EXPECT_TRUE(fs::exists(path("out/sub/img-00.png"))) << "a folder with an output stays";
  EXPECT_FALSE(fs::exists(path("out/bad"))) << "no output was written there";
  EXPECT_FALSE(fs::exists(path("out/bad/deeper")));
  // The write into a folder made for it is timed like any other.
  const outcome json = kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("timed").string(), "--json"} + fast);
  std::istringstream lines(json.out);
  int timed = 0;
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "ok") continue;
    EXPECT_GT(j.at("seconds").at("write").get<double>(), 0.0) << line;
    ++timed;
  }
  EXPECT_EQ(timed, 2);
}

TEST_F(Batch, ResumesAfterSigkillWithTheSameBytes) {
  make_images(path("src"), 24, 96);
  const std::vector<std::string> slow = {"-k", "32", "--restarts", "3", "--progress", "none", "--jobs", "1"};
  ASSERT_EQ(kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("ref").string()} + slow).code, 0);
  const auto reference = tree(path("ref"));
  ASSERT_EQ(reference.size(), 24u);

  const pid_t child = start(std::vector<std::string>{path("src").string(), "-r", "-d", path("out").string(), "--manifest", path("m.jsonl").string()} + slow);
  for (int i = 0; i < 2000 && manifest_lines(path("m.jsonl")).size() < 5; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(child, SIGKILL);
  const outcome killed = wait_for(child);
  EXPECT_EQ(killed.signal, SIGKILL);
  const std::size_t done_before = manifest_lines(path("m.jsonl")).size();
  EXPECT_LT(done_before, 24u) << "the run ended before it was killed: make it slower";
  // What the kill left: whole outputs only (each the uninterrupted run's bytes), no temporary file,
  // and a manifest of whole JSON lines (one write() each).
  for (const auto& [name, bytes] : tree(path("out"))) {
    const auto same = reference.find(name);
    ASSERT_NE(same, reference.end()) << "a stray file after SIGKILL: " << name;
    EXPECT_EQ(bytes, same->second) << "a partial output after SIGKILL: " << name;
  }
  const std::string killed_manifest = read_file(path("m.jsonl"));
  EXPECT_EQ(static_cast<std::size_t>(std::count(killed_manifest.begin(), killed_manifest.end(), '\n')), done_before);
  EXPECT_TRUE(killed_manifest.empty() || killed_manifest.back() == '\n');
  std::ofstream(path("m.jsonl"), std::ios::app) << "{\"input\":\"torn";  // a torn last line is ignored

  const outcome resumed = kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("out").string(), "--manifest",
                                                       path("m.jsonl").string(), "--skip-existing"} + slow);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(tree(path("out")), reference);
  int skipped = 0;
  for (const auto& line : manifest_lines(path("m.jsonl"))) skipped += line["status"] == "skipped";
  EXPECT_GE(skipped, static_cast<int>(done_before) - 1);
  EXPECT_NE(resumed.err.find("skipped"), std::string::npos);
  // The torn line was ended by the resumed run, not continued: it is the only line that is not JSON.
  const std::string text = read_file(path("m.jsonl"));
  EXPECT_EQ(manifest_lines(path("m.jsonl")).size() + 1, static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
}

TEST_F(Batch, SigtermStopsCleanlyWithExit130) {
  make_images(path("src"), 24, 96);
  const pid_t child = start({path("src").string(), "-r", "-d", path("out").string(), "--manifest", path("m.jsonl").string(),
                             "-k", "32", "--restarts", "3", "--progress", "none", "--jobs", "2"});
  for (int i = 0; i < 2000 && manifest_lines(path("m.jsonl")).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(child, SIGTERM);
  const outcome o = wait_for(child);
  EXPECT_EQ(o.code, 130) << o.err;
  EXPECT_NE(o.err.find("interrupted"), std::string::npos) << o.err;
  const auto lines = manifest_lines(path("m.jsonl"));
  EXPECT_EQ(read_file(path("m.jsonl")).back(), '\n');
  EXPECT_EQ(tree(path("out")).size(), lines.size());  // every written output is recorded, nothing else written
}

TEST_F(Batch, AChangedParameterRedoesTheWork) {
  make_images(path("src"), 5);
  const std::vector<std::string> base = {path("src").string(), "-r", "-d", path("out").string(), "--manifest", path("m.jsonl").string(), "--skip-existing", "--progress", "none", "--json"};
  ASSERT_EQ(kmq(base + std::vector<std::string>{"-k", "4"}).code, 0);
  const auto k4 = tree(path("out"));
  const outcome same = kmq(base + std::vector<std::string>{"-k", "4"});
  ASSERT_EQ(same.code, 0) << same.err;
  EXPECT_EQ(std::count(same.out.begin(), same.out.end(), '\n'), 5);
  EXPECT_EQ(same.out.find("\"status\":\"ok\""), std::string::npos) << same.out;  // all skipped
  const outcome changed = kmq(base + std::vector<std::string>{"-k", "8"});
  ASSERT_EQ(changed.code, 0) << changed.err;
  EXPECT_EQ(changed.out.find("\"status\":\"skipped\""), std::string::npos) << changed.out;  // all redone
  ASSERT_EQ(kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("fresh").string(), "-k", "8", "--progress", "none"}).code, 0);
  EXPECT_EQ(tree(path("out")), tree(path("fresh")));
  EXPECT_NE(tree(path("out")), k4);
  // Another --space is another output: redone, and the manifest says which.
  const outcome oklab = kmq(base + std::vector<std::string>{"-k", "8", "--space", "oklab"});
  ASSERT_EQ(oklab.code, 0) << oklab.err;
  EXPECT_EQ(oklab.out.find("\"status\":\"skipped\""), std::string::npos) << oklab.out;
  EXPECT_NE(manifest_lines(path("m.jsonl")).back()["params"].get<std::string>().find(" space=oklab"), std::string::npos);
  // Without a manifest --skip-existing goes by the outputs alone.
  const outcome existing = kmq({path("src").string(), "-r", "-d", path("out").string(), "--skip-existing", "-k", "16", "--progress", "none", "--json"});
  EXPECT_EQ(existing.out.find("\"status\":\"ok\""), std::string::npos) << existing.out;
  // Without --skip-existing or --force an existing output is a failure.
  EXPECT_EQ(kmq({path("src").string(), "-r", "-d", path("out").string(), "--progress", "none"}).code, 1);
}

TEST_F(Batch, ShardsAreDisjointAndComplete) {
  make_images(path("src"), 10, 16);
  std::multiset<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    const std::string m = path("m" + std::to_string(i) + ".jsonl").string();
    const outcome o = kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("out").string(), "--shard", std::to_string(i) + "/3", "--manifest", m} + fast);
    ASSERT_EQ(o.code, 0) << o.err;
    for (const auto& line : manifest_lines(m)) seen.insert(line["input"].get<std::string>());
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 10u);
  EXPECT_EQ(tree(path("out")).size(), 10u);
  // auto: Slurm's array task, or a Kubernetes Indexed Job's index.
  auto inputs_of = [&](const run_options& options, std::vector<std::string> extra) {
    fs::remove(path("a.jsonl"));
    const outcome o = kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("auto").string(), "--force", "--manifest", path("a.jsonl").string()} + fast + extra, options);
    EXPECT_EQ(o.code, 0) << o.err;
    std::set<std::string> inputs;
    for (const auto& line : manifest_lines(path("a.jsonl"))) inputs.insert(line["input"].get<std::string>());
    return inputs;
  };
  auto explicit_shard = inputs_of({}, {"--shard", "1/3"});
  EXPECT_EQ(inputs_of({{"SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_MIN=4", "SLURM_ARRAY_TASK_COUNT=3"}}, {"--shard", "auto"}), explicit_shard);
  EXPECT_EQ(inputs_of({{"JOB_COMPLETION_INDEX=1"}}, {"--shard", "auto", "--shard-count", "3"}), explicit_shard);
  EXPECT_EQ(kmq(std::vector<std::string>{path("src").string(), "-d", path("x").string(), "--shard", "3/3"}).code, 64);
}

TEST_F(Batch, ReadsNulSeparatedLists) {
  write_image(path("src/odd\nname.png"), 16, 16, 1);
  write_image(path("src/plain.jpg"), 16, 16, 2);
  write_image(path("src/not-listed.png"), 16, 16, 3);
  std::ofstream(path("list0"), std::ios::binary) << std::string("odd\nname.png\0plain.jpg\0", 23);
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "--files-from", "-", "-0", "-d", path("out").string()} + fast,
                        run_options{{}, path("list0").string(), false});
  ASSERT_EQ(o.code, 0) << o.err;
  std::set<std::string> names;
  for (const auto& [name, bytes] : tree(path("out"))) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"odd\nname.png", "plain.png"}));
  // A name outside SRC is a failure of its own.
  std::ofstream(path("list1")) << "plain.jpg\n../list0\n";
  const outcome outside = kmq(std::vector<std::string>{path("src").string(), "--files-from", path("list1").string(), "-d", path("out2").string()} + fast);
  EXPECT_EQ(outside.code, 1) << outside.err;
  EXPECT_TRUE(fs::exists(path("out2/plain.png")));
}

TEST_F(Batch, SymbolicLinksDoNotLeadOutOrLoop) {
  write_image(path("src/a.png"), 16, 16, 1);
  write_image(path("elsewhere/secret.png"), 16, 16, 2);
  fs::create_directory_symlink(path("src"), path("src/loop"));
  fs::create_directory_symlink("..", path("src/up"));
  fs::create_symlink(path("elsewhere/secret.png"), path("src/outside.png"));
  fs::create_symlink("a.png", path("src/inside.png"));
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("out").string()} + fast);
  ASSERT_EQ(o.code, 0) << o.err;
  std::set<std::string> names;
  for (const auto& [name, bytes] : tree(path("out"))) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"a.png", "inside.png"}));
  EXPECT_NE(o.err.find("3 links not followed"), std::string::npos) << o.err;
}

TEST_F(Batch, UnwritableOutputFolderIsExit73) {
  run_options unprivileged;
  if (::geteuid() == 0) {
    unprivileged.as_nobody = true;
    fs::create_directories(path("probe"));
    const outcome probe = kmq({"--help"}, unprivileged);
    if (probe.code == 124) GTEST_SKIP() << "cannot switch to uid " << ::kmq::testing::nobody_uid;
    if (probe.code != 0) GTEST_SKIP() << "kmq does not start as nobody: " << probe.err;
  }
  write_image(path("src/a.png"), 16, 16, 1);
  fs::permissions(path("src"), fs::perms::all & ~fs::perms::group_write & ~fs::perms::others_write);
  fs::create_directories(path("locked"));
  fs::permissions(path("locked"), fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                      fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-d", path("locked").string()} + fast, unprivileged);
  EXPECT_EQ(o.code, 73) << o.err;
  EXPECT_TRUE(fs::is_empty(path("locked")));
  const outcome nested = kmq(std::vector<std::string>{path("src").string(), "-d", path("locked/sub").string()} + fast, unprivileged);
  EXPECT_EQ(nested.code, 73) << nested.err;
  EXPECT_TRUE(fs::is_empty(path("locked")));
}

TEST_F(Batch, SkipIfLargerKeepsNoLargerOutput) {
  // Noise as a low-quality JPEG is small; its palette PNG is not.
  cv::Mat noise(64, 64, CV_8UC3);
  cv::randu(noise, 0, 255);
  fs::create_directories(path("src"));
  ASSERT_TRUE(cv::imwrite(path("src/noise.jpg").string(), noise, {cv::IMWRITE_JPEG_QUALITY, 20}));
  // A flat image stored without compression is large; its palette PNG is tiny.
  cv::Mat flat(64, 64, CV_8UC3, cv::Scalar(10, 200, 30));
  ASSERT_TRUE(cv::imwrite(path("src/flat.png").string(), flat, {cv::IMWRITE_PNG_COMPRESSION, 0}));
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "--skip-if-larger", "--manifest",
                                                 path("m.jsonl").string(), "-k", "64", "--progress", "none"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(fs::exists(path("out/flat.png")));
  EXPECT_FALSE(fs::exists(path("out/noise.png")));
  EXPECT_NE(o.err.find("1 skipped (larger)"), std::string::npos) << o.err;
  std::map<std::string, std::string> status;
  for (const auto& line : manifest_lines(path("m.jsonl"))) status[fs::path(line["input"].get<std::string>()).filename().string()] = line["status"];
  EXPECT_EQ(status["noise.jpg"], "skipped_larger");
  EXPECT_EQ(status["flat.png"], "ok");
  // Resumed with the same settings: both are done.
  const outcome again = kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "--skip-if-larger", "--manifest",
                                                     path("m.jsonl").string(), "-k", "64", "--progress", "none", "--skip-existing"});
  EXPECT_NE(again.err.find("2 skipped,"), std::string::npos) << again.err;
}

TEST_F(Batch, ProgressBarAndSummaryShowTheirFields) {
  make_images(path("src"), 2);
  std::ofstream(path("src/bad.png"), std::ios::binary) << "garbage";
  const outcome o = kmq({path("src").string(), "-r", "-d", path("out").string(), "-k", "4", "--progress", "bar", "--jobs", "1"});
  EXPECT_EQ(o.code, 1) << o.err;
  // Redrawn in place after the failure's own line: done/total, images/s, MB/s, ETA, failures so far.
  const std::regex bar(R"(kmq: [^\n]*bad\.png: [^\n]+\n\r\[#*\.*\] [1-3]/3  [0-9.]+ img/s  [0-9.]+ (B|kB|MB|GB)/s  ETA ([0-9]+:[0-9]{2}|\?)  1 failed\x1b\[K)");
  EXPECT_TRUE(std::regex_search(o.err, bar)) << o.err;
  // The summary: counts, bytes in and out, the ratio, the time.
  const std::regex summary(R"(kmq batch: 3 inputs in [0-9.]+ s \([0-9.]+ images/s\): 2 written, 0 skipped, 0 skipped \(larger\), 1 failed; [0-9.]+ (B|kB|MB) in, [0-9.]+ (B|kB|MB) out \([0-9.]+% of their inputs\)\n)");
  EXPECT_TRUE(std::regex_search(o.err, summary)) << o.err;
  // -q: the failure's line and nothing else.
  const outcome quiet = kmq({path("src").string(), "-r", "-d", path("out2").string(), "-k", "4", "-q"});
  EXPECT_EQ(quiet.code, 1);
  EXPECT_EQ(std::count(quiet.err.begin(), quiet.err.end(), '\n'), 1) << quiet.err;
}

TEST_F(Batch, CudaWithoutADeviceIsExit69AndCreatesNothing) {
  write_image(path("src/a.png"), 16, 16, 1);
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "--backend", "cuda"} + fast);
  if (o.code == 0) GTEST_SKIP() << "a CUDA device answers here";
  EXPECT_EQ(o.code, 69) << o.err;
  EXPECT_NE(o.err.find("cuda"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(path("out")));
}

// The backends are made while the workers decode their first images. Under the test-only hook
// KMQ_TEST_BACKENDS_AFTER_A_DECODE=1 they are made only once a worker, its first image decoded, asks
// for one: a batch that made them before its workers started would wait out the hook's bound and fail
// every image. The bytes are those of a run without the hook.
TEST_F(Batch, BackendSetUpOverlapsTheFirstDecodes) {
  make_images(path("src"), 6);
  const std::vector<std::string> common = std::vector<std::string>{path("src").string(), "-r"} + fast;
  const outcome plain = kmq(common + std::vector<std::string>{"-d", path("plain").string()});
  ASSERT_EQ(plain.code, 0) << plain.err;
  run_options hooked;
  hooked.env = {"KMQ_TEST_BACKENDS_AFTER_A_DECODE=1"};
  // One worker: no other can ask in its place while it makes the backends itself.
  for (const std::string jobs : {"1", "2"}) {
    for (const std::string backend : {"auto", "cpu"}) {
      const std::string run = backend + "-" + jobs;
      const fs::path out = path("out-" + run), manifest = path("m-" + run + ".jsonl");
      const outcome o = kmq(common + std::vector<std::string>{"-d", out.string(), "--jobs", jobs, "--backend", backend,
                                                              "--manifest", manifest.string()}, hooked);
      ASSERT_EQ(o.code, 0) << run << ": " << o.err;
      EXPECT_EQ(tree(out), tree(path("plain"))) << run;
      const std::vector<nlohmann::json> lines = manifest_lines(manifest);
      ASSERT_EQ(lines.size(), 6u) << run;
      // 32x32 images: auto stays on the CPU (below KMQ_AUTO_GPU_MIN_PIXELS) even where CUDA is built in.
      for (const nlohmann::json& line : lines) EXPECT_EQ(line.value("backend", ""), "cpu") << line.dump();
    }
  }
}

TEST_F(Batch, AManifestThatCannotBeOpenedIsExit73BeforeAnyWork) {
  make_images(path("src"), 3);
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-r", "-d", path("out").string(), "--manifest",
                                                 path("missing/m.jsonl").string()} + fast);
  EXPECT_EQ(o.code, 73) << o.err;
  EXPECT_NE(o.err.find("m.jsonl"), std::string::npos) << o.err;
  EXPECT_TRUE(tree(path("out")).empty());  // no image was done without its record
}

TEST_F(Batch, NoImagesIsExit66AndCreatesNothing) {
  fs::create_directories(path("empty"));
  const outcome o = kmq(std::vector<std::string>{path("empty").string(), "-d", path("out").string()} + fast);
  EXPECT_EQ(o.code, 66) << o.err;
  EXPECT_NE(o.err.find("no images found"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(path("out")));
  std::ofstream(path("empty/readme.txt")) << "x";
  EXPECT_EQ(kmq(std::vector<std::string>{path("empty").string(), "-r", "-d", path("out").string()} + fast).code, 66);
  EXPECT_EQ(kmq(std::vector<std::string>{path("missing").string(), "-d", path("out").string()} + fast).code, 66);
  EXPECT_EQ(kmq(std::vector<std::string>{path("empty").string()}).code, 64);  // no -d
}

}  // namespace
