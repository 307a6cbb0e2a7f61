// kmq batch, what one run leaves and what the next does with it: resuming
// after SIGKILL with the same bytes, stopping on SIGTERM, the manifest's
// settings deciding what is made again (another K, another --space, another
// revision of kmq's output), and --skip-if-larger.
#include <sys/xattr.h>

#include <cstdint>
#include <cstdio>
#include <fstream>

#include "batch_test_support.hpp"

namespace {

using namespace kmq::testing::batch;

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

// Started with SIGINT ignored (a script's `kmq batch ... &`): the
// Ctrl-C meant for the script does not stop it. SIGINT comes all run long.
TEST_F(Batch, AnIgnoredSigintStaysIgnored) {
  make_images(path("src"), 12, 96);
  run_options ignoring;
  ignoring.ignore_sigint = true;
  const pid_t child = start({path("src").string(), "-r", "-d", path("out").string(), "-k", "32", "--restarts", "3",
                             "--progress", "none", "--jobs", "2"},
                            ignoring);
  // From when OUTDIR is there (before it, the child may not have ignored SIGINT yet).
  for (int i = 0; i < 2000 && !fs::exists(path("out")); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  for (;;) {
    siginfo_t ended{};
    if (::waitid(P_PID, static_cast<id_t>(child), &ended, WEXITED | WNOHANG | WNOWAIT) != 0 || ended.si_pid != 0) break;
    ::kill(child, SIGINT);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const outcome o = wait_for(child);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(tree(path("out")).size(), 12u);
}

// --manifest naming an input (its lines would be appended to an image) or an
// output (the PNG would replace it) is refused before anything is made.
TEST_F(Batch, AManifestThatIsAnInputOrAnOutputIsRefused) {
  make_images(path("src"), 3);  // sub/img-00.png, img-01.jpg, img-02.png
  const std::string image = read_file(path("src/img-01.jpg"));
  const std::vector<std::string> run = {path("src").string(), "-r", "-d", path("out").string(), "--force", "--manifest"};
  const outcome input = kmq(run + std::vector<std::string>{path("src/img-01.jpg").string()} + fast);
  EXPECT_EQ(input.code, 64) << input.err;
  EXPECT_NE(input.err.find("is the input"), std::string::npos) << input.err;
  EXPECT_EQ(read_file(path("src/img-01.jpg")), image);
  const outcome output = kmq(run + std::vector<std::string>{path("out/sub/../img-02.png").string()} + fast);
  EXPECT_EQ(output.code, 64) << output.err;
  EXPECT_NE(output.err.find("is the output of"), std::string::npos) << output.err;
  EXPECT_FALSE(fs::exists(path("out")));
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

// The same settings make other bytes in another revision of kmq, so a
// manifest written by another one (here: its lines rewritten as an older kmq
// wrote them, without the revision, and as a future one would) names no
// output as done.
TEST_F(Batch, AnotherKmqsOutputsAreMadeAgain) {
  make_images(path("src"), 3);
  const std::vector<std::string> run = {path("src").string(), "-r", "-d", path("out").string(), "--manifest", path("m.jsonl").string(),
                                        "--skip-existing", "-k", "4", "--progress", "none", "--json"};
  ASSERT_EQ(kmq(run).code, 0);
  const std::string params = manifest_lines(path("m.jsonl")).back()["params"].get<std::string>();
  const std::size_t revision = params.find(" output_revision=");
  ASSERT_NE(revision, std::string::npos) << params;
  const std::string older = params.substr(0, revision);
  const std::string newer = older + " output_revision=" + std::to_string(std::stoi(params.substr(revision + 17)) + 1);
  // Each line as that kmq would have written it: its params and their hash (FNV-1a 64).
  const auto params_hash = [](const std::string& text) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return std::string(hex);
  };
  ASSERT_EQ(manifest_lines(path("m.jsonl")).back()["params_hash"], params_hash(params));
  for (const std::string& other : {older, newer}) {
    const std::vector<nlohmann::json> lines = manifest_lines(path("m.jsonl"));
    std::ofstream rewritten(path("m.jsonl"), std::ios::binary | std::ios::trunc);
    for (nlohmann::json line : lines) {
      line["params"] = other;
      line["params_hash"] = params_hash(other);
      rewritten << line.dump() << '\n';
    }
    rewritten.close();
    const outcome again = kmq(run);
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(std::count(again.out.begin(), again.out.end(), '\n'), 3) << again.out;
    EXPECT_EQ(again.out.find("\"status\":\"skipped\""), std::string::npos) << other << "\n" << again.out;
  }
  // And this kmq's own lines, last in the manifest now, count as done.
  const outcome same = kmq(run);
  ASSERT_EQ(same.code, 0) << same.err;
  EXPECT_EQ(std::count(same.out.begin(), same.out.end(), '\n'), 3) << same.out;
  EXPECT_EQ(same.out.find("\"status\":\"ok\""), std::string::npos) << same.out;
  EXPECT_NE(same.out.find("\"status\":\"skipped\""), std::string::npos) << same.out;
}

// Two cameras' trees, each run from its own folder, into one archive: the
// same relative input name (DCIM/img-00.png), other files. Resuming the second
// must not take the first's output for its own (the mark names the file, not
// the name as given), and without --force it is left alone.
TEST_F(Batch, AnotherTreesOutputOfTheSameRelativeNameIsNotReplaced) {
  write_image(path("cam1/DCIM/img-00.png"), 24, 24, 1);
  write_image(path("cam2/DCIM/img-00.png"), 24, 24, 2);
  const std::string archive = path("archive").string();
  ASSERT_EQ(kmq(std::vector<std::string>{"DCIM", "-d", archive, "--manifest", path("m1.jsonl").string()} + fast,
                {{}, {}, false, path("cam1").string()})
                .code,
            0);
  const std::string first = read_file(path("archive/img-00.png"));
  ASSERT_FALSE(first.empty());
  const outcome second = kmq(std::vector<std::string>{"DCIM", "-d", archive, "--manifest", path("m2.jsonl").string(),
                                                      "--skip-existing"} + fast,
                             {{}, {}, false, path("cam2").string()});
  EXPECT_EQ(second.code, 1) << second.err;
  EXPECT_NE(second.err.find("exists"), std::string::npos) << second.err;
  EXPECT_EQ(read_file(path("archive/img-00.png")), first);
  // The first camera's own resume, from another folder and spelling, still counts it as its output.
  write_image(path("cam1/DCIM/img-00.png"), 24, 24, 3);
  const outcome redo = kmq(std::vector<std::string>{path("cam1/DCIM").string(), "-d", archive, "--manifest",
                                                    path("m1.jsonl").string(), "--skip-existing"} + fast);
  EXPECT_EQ(redo.code, 0) << redo.err;
  EXPECT_NE(read_file(path("archive/img-00.png")), first);
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
  // The ratio is of the written input's bytes, which the line names beside all it read.
  const std::regex bytes(R"(; ([0-9.]+ (B|kB)) in, ([0-9.]+ (B|kB)) out \(([0-9.]+)% of the ([0-9.]+ (B|kB)) of inputs written\))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(o.err, m, bytes)) << o.err;
  const auto size_of = [this](const char* name) { return static_cast<double>(fs::file_size(path(name))); };
  EXPECT_NEAR(std::stod(m[5]), 100.0 * size_of("out/flat.png") / size_of("src/flat.png"), 0.06) << o.err;
  std::map<std::string, std::string> status;
  for (const auto& line : manifest_lines(path("m.jsonl"))) status[fs::path(line["input"].get<std::string>()).filename().string()] = line["status"];
  EXPECT_EQ(status["noise.jpg"], "skipped_larger");
  EXPECT_EQ(status["flat.png"], "ok");
  // Resumed with the same settings: both are done.
  const outcome again = kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "--skip-if-larger", "--manifest",
                                                     path("m.jsonl").string(), "-k", "64", "--progress", "none", "--skip-existing"});
  EXPECT_NE(again.err.find("2 skipped,"), std::string::npos) << again.err;
}

// An output that another input wrote before the clash rule gave its name to
// this one (a.jpg, then a.png beside it) is not this input's: not skipped as
// done, and not replaced without --force.
// Whether this file system keeps user attributes (kmq's mark), probed on a file of the test's own.
bool keeps_marks(const fs::path& probe) {
  std::ofstream(probe) << "probe";
  const bool kept = ::setxattr(probe.c_str(), "user.kmq.probe", "1", 1, 0) == 0;
  fs::remove(probe);
  return kept;
}

TEST_F(Batch, SkipExistingDoesNotTakeAnotherInputsOutputForThisOnes) {
  if (!keeps_marks(path("probe"))) GTEST_SKIP() << "no user attributes here: outputs carry no mark";
  write_image(path("src/a.jpg"), 20, 20, 1);
  ASSERT_EQ(kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string()} + fast).code, 0);
  const std::string from_jpg = read_file(path("out/a.png"));
  write_image(path("src/a.png"), 12, 12, 2);
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "--skip-existing"} + fast);
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find("not from this input"), std::string::npos) << o.err;
  EXPECT_EQ(read_file(path("out/a.png")), from_jpg);
  const outcome forced =
      kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "--skip-existing", "--force"} + fast);
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_NE(read_file(path("out/a.png")), from_jpg);
}

// The same tree moved (or mounted elsewhere): its outputs' marks name the old
// folder, and --skip-existing still skips them rather than failing each.
TEST_F(Batch, SkipExistingSkipsTheOutputsOfAMovedTree) {
  write_image(path("photos/a.png"), 20, 20, 1);
  write_image(path("photos/b.jpg"), 20, 20, 2);
  ASSERT_EQ(kmq(std::vector<std::string>{path("photos").string(), "-d", path("out").string()} + fast).code, 0);
  fs::rename(path("photos"), path("photos 2024"));
  const outcome o =
      kmq(std::vector<std::string>{path("photos 2024").string(), "-d", path("out").string(), "--skip-existing"} + fast);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("2 skipped"), std::string::npos) << o.err;
}

// --skip-if-larger --force: an earlier output of this input, made with other
// settings, does not stand for the new ones.
TEST_F(Batch, SkipIfLargerWithForceRemovesThisInputsEarlierOutput) {
  if (!keeps_marks(path("probe"))) GTEST_SKIP() << "no user attributes here: outputs carry no mark";
  cv::Mat noise(64, 64, CV_8UC3);
  cv::randu(noise, 0, 255);
  fs::create_directories(path("src"));
  ASSERT_TRUE(cv::imwrite(path("src/noise.jpg").string(), noise, {cv::IMWRITE_JPEG_QUALITY, 20}));
  ASSERT_EQ(kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "--progress", "none", "-k", "2"}).code, 0);
  ASSERT_TRUE(fs::exists(path("out/noise.png")));
  const outcome o = kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "-k", "200",
                                                 "--skip-if-larger", "--force", "--json", "--progress", "none"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(fs::exists(path("out/noise.png"))) << "the -k 2 output was left for -k 200";
  EXPECT_NE(o.out.find("made with other settings, removed"), std::string::npos) << o.out;
  // A file of the user's by that name is never removed.
  std::ofstream(path("out/noise.png")) << "the user's";
  EXPECT_EQ(kmq(std::vector<std::string>{path("src").string(), "-d", path("out").string(), "-k", "200",
                                         "--skip-if-larger", "--force", "--progress", "none"}).code, 0);
  EXPECT_EQ(read_file(path("out/noise.png")), "the user's");
}

// A file name that is not UTF-8 is written into JSON lines as U+FFFD, and a
// resume still finds its line (it compared the raw bytes, and redid it each time).
TEST_F(Batch, ANonUtf8FileNameResumes) {
  write_image(path("src/in_\xff.png"), 16, 16, 1);
  write_image(path("src/in_\xfe.png"), 16, 16, 2);  // the same name in JSON: still two inputs
  const std::vector<std::string> args = {path("src").string(), "-d", path("out").string(), "--manifest",
                                         path("m.jsonl").string(), "--skip-existing", "--json"};
  const outcome first = kmq(args + fast);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("in_\xef\xbf\xbd.png"), std::string::npos) << first.out;
  const outcome again = kmq(args + fast);
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out.find("\"status\":\"ok\""), std::string::npos) << "one was done again: " << again.out;
  EXPECT_EQ(std::count(again.out.begin(), again.out.end(), '\n'), 2) << again.out;
}

// A resume matches inputs and outputs by their resolved paths: the tree named
// relative, with ./ or .., or absolute, is done once; and by their names as
// written where the paths differ: a tree moved elsewhere and run again with
// the same arguments is done once too.
TEST_F(Batch, AResumeFindsItsInputsHoweverTheyAreSpelled) {
  make_images(path("here/src"), 4);
  run_options here;
  here.cwd = path("here").string();
  const std::vector<std::string> tail = {"-r", "--manifest", "m.jsonl", "--skip-existing", "--json", "-k", "4", "--progress", "none"};
  ASSERT_EQ(kmq(std::vector<std::string>{"src", "-d", "out"} + tail, here).code, 0);
  auto all_skipped = [&](const std::vector<std::string>& spelling, const run_options& where) {
    const outcome again = kmq(spelling + tail, where);
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(std::count(again.out.begin(), again.out.end(), '\n'), 4) << again.out;
    EXPECT_EQ(again.out.find("\"status\":\"ok\""), std::string::npos) << "done again: " << again.out;
  };
  all_skipped({"./src", "-d", "out/"}, here);
  all_skipped({path("here/src").string(), "-d", path("here/out").string()}, here);
  all_skipped({"src/../src", "-d", "./out"}, here);
  fs::rename(path("here"), path("moved"));
  run_options moved;
  moved.cwd = path("moved").string();
  all_skipped({"src", "-d", "out"}, moved);
}

}  // namespace
