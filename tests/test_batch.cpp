// kmq batch end to end, on the real binary: mirrored trees, the clash rule,
// failures in the middle, shards, NUL-separated lists, link loops,
// unwritable output folders, the progress line and empty sources. Small
// generated images keep it fast. Resuming and stopping: test_batch_resume.cpp.
#include "batch_test_support.hpp"

namespace {

using namespace kmq::testing::batch;

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

// A clash's name past what file systems take (a 251-byte stem's x.jpg.png,
// 259 bytes) is shortened, with a hash of the whole name: both inputs are
// written, again and again the same.
TEST_F(Batch, AClashNamePastTheFileSystemLimitIsShortened) {
  const std::string stem(251, 'n');
  write_image(path("src/" + stem + ".jpg"), 16, 16, 1);
  write_image(path("src/" + stem + ".png"), 16, 16, 2);
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string()} + fast);
  ASSERT_EQ(o.code, 0) << o.err;
  const auto written = tree(path("out"));
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written.count(stem + ".png"), 1u);
  for (const auto& [name, bytes] : written) EXPECT_LE(name.size(), 255u) << name;
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

TEST_F(Batch, AListIsFilteredAsAWalkIsAndCountsEachNameOnce) {
  write_image(path("src/a.png"), 16, 16, 1);
  write_image(path("src/.b.png"), 16, 16, 2);
  write_image(path("src/.hid/c.png"), 16, 16, 3);
  write_image(path("src/sub/.d.png"), 16, 16, 4);
  std::ofstream(path("src/notes.txt")) << "x";
  // A hidden file, a file in a hidden folder, the hidden folder itself, and a
  // folder whose walk meets a hidden file that is listed as well.
  std::ofstream(path("list")) << "a.png\n.b.png\n.hid/c.png\n.hid\nsub\nsub/.d.png\nnotes.txt\n";
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "--files-from", path("list").string(), "-r",
                                                 "-d", path("out").string()} + fast);
  ASSERT_EQ(o.code, 0) << o.err;
  std::set<std::string> names;
  for (const auto& [name, bytes] : tree(path("out"))) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"a.png"}));
  // .b.png, .hid/c.png, .hid and sub/.d.png (met by the walk of sub and listed): four, once each.
  EXPECT_NE(o.err.find("left out: 4 hidden, 1 not images"), std::string::npos) << o.err;
  // A name reached through a link to a folder is left out as the link would be,
  // whether the link leads out of SRC or to a hidden folder inside it.
  write_image(path("outside/secret.png"), 16, 16, 5);
  fs::create_directory_symlink(path("outside"), path("src/lnk"));
  fs::create_directory_symlink(".hid", path("src/hl"));
  std::ofstream(path("list2")) << "a.png\nlnk/secret.png\nhl/c.png\nlnk\n";
  const outcome linked = kmq(std::vector<std::string>{path("src").string(), "--files-from", path("list2").string(), "-r",
                                                      "-d", path("out2").string()} + fast);
  ASSERT_EQ(linked.code, 0) << linked.err;
  names.clear();
  for (const auto& [name, bytes] : tree(path("out2"))) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"a.png"}));
  EXPECT_NE(linked.err.find("3 links not followed"), std::string::npos) << linked.err;
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
  // Every input failing: no rate of images made (there were none).
  fs::create_directories(path("bad"));
  std::ofstream(path("bad/a.png"), std::ios::binary) << "garbage";
  std::ofstream(path("bad/b.png"), std::ios::binary) << "garbage too";
  const outcome failed = kmq({path("bad").string(), "-d", path("out3").string(), "-k", "4", "--progress", "none"});
  EXPECT_EQ(failed.code, 1) << failed.err;
  EXPECT_TRUE(std::regex_search(failed.err, std::regex(R"(kmq batch: 2 inputs in [0-9.]+ s: 0 written, 0 skipped, 0 skipped \(larger\), 2 failed)")))
      << failed.err;
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
  EXPECT_FALSE(fs::exists(path("out")));  // no image done without its record, and the folder made for it gone again
  // Folders made several deep, named with a trailing slash, go too.
  const outcome deep = kmq(std::vector<std::string>{path("src").string(), "-d", path("new1/new2").string() + "/",
                                                    "--manifest", path("missing/m.jsonl").string()} + fast);
  EXPECT_EQ(deep.code, 73) << deep.err;
  EXPECT_FALSE(fs::exists(path("new1")));
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
