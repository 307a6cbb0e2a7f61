// Fault injection on the real kmq binary, where an output cannot go: a full
// disk (a file size limit, and a real full file system where a tmpfs can be
// mounted), standard output on a full device, an output directory kmq may not
// write, an output path that is a directory. For each: the documented exit
// code, the file named on stderr, no partial or temporary output left, and the
// inputs untouched (bytes and mtime). Inputs that vanish or change while a
// batch runs: test_faults_inputs.cpp. Killing kmq mid-write is
// test_write_interrupted's.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "faults_test_support.hpp"

namespace fs = std::filesystem;
using namespace kmq::testing::faults;

namespace {

// ---- a full disk --------------------------------------------------------------

// RLIMIT_FSIZE below the output's size with SIGXFSZ ignored: the write fails
// with EFBIG, as on a full disk. Exit 73, the output named, nothing written,
// an old output kept whole under --force, the input untouched.
TEST_F(FaultInjection, WriteFailsPastTheFileSizeLimit) {
  const std::string input = sample("fruits.jpg");  // its PNG at K=16 is ~37 KB
  const file_state before = state_of(input);
  fs::create_directories(path("out"));
  run_options limited;
  limited.file_size_limit = 16 * 1024;
  limited.ignore_sigxfsz = true;

  const outcome fresh = kmq({"compress", input, "-o", path("out/new.png").string(), "-k", "16"}, limited);
  EXPECT_EQ(fresh.code, 73) << fresh.err;
  expect_names(fresh, "new.png");
  EXPECT_NE(fresh.err.find("File too large"), std::string::npos) << fresh.err;
  expect_only(path("out"), {});

  write_file(path("out/old.png"), "the old output");
  const file_state old = state_of(path("out/old.png"));
  const outcome forced = kmq({"compress", input, "-o", path("out/old.png").string(), "-k", "16", "--force"}, limited);
  EXPECT_EQ(forced.code, 73) << forced.err;
  expect_names(forced, "old.png");
  expect_only(path("out"), {"old.png"});
  EXPECT_TRUE(state_of(path("out/old.png")) == old) << "the old output changed";
  EXPECT_TRUE(state_of(input) == before) << "the input changed";
}

// The report does not fit, the PNG and the palette would: the run fails as a
// whole and leaves none of its files (the PNG was left, named in a failure).
TEST_F(FaultInjection, AnExtraOutputThatFailsLeavesNoneOfTheRunsFiles) {
  fs::create_directories(path("out"));
  run_options limited;
  limited.file_size_limit = 32 * 1024;  // the PNG at K=2 and the palette fit; the report (~100 KB+) does not
  limited.ignore_sigxfsz = true;
  const outcome o = kmq({"compress", sample("chelsea.png"), "-o", path("out/a.png").string(), "-k", "2", "--palette-out",
                         path("out/p.gpl").string(), "--report", path("out/r.html").string()},
                        limited);
  EXPECT_EQ(o.code, 73) << o.err;
  expect_names(o, "r.html");
  expect_only(path("out"), {});
  // With --force over an earlier palette of the user's: the failed run
  // removes only what it created, never a file it replaced.
  write_file(path("out/p.gpl"), "the user's earlier palette");
  const outcome forced = kmq({"compress", sample("chelsea.png"), "-o", path("out/a.png").string(), "-k", "2",
                              "--palette-out", path("out/p.gpl").string(), "--report", path("out/r.html").string(),
                              "--force"},
                             limited);
  EXPECT_EQ(forced.code, 73) << forced.err;
  expect_only(path("out"), {"p.gpl"});
  fs::remove(path("out/p.gpl"));
  // Without the report, the same run fits.
  const outcome fits = kmq({"compress", sample("chelsea.png"), "-o", path("out/a.png").string(), "-k", "2",
                            "--palette-out", path("out/p.gpl").string()},
                           limited);
  EXPECT_EQ(fits.code, 0) << fits.err;
  expect_only(path("out"), {"a.png", "p.gpl"});
}

// --out-dir not there yet, and the only output fails to fit: the folders made
// for it go again (README: a run whose every input fails creates nothing);
// one that already held a file of the user's stays, with that file.
TEST_F(FaultInjection, AnOutDirWhoseEveryWriteFailsIsNotLeftBehind) {
  const std::string input = sample("fruits.jpg");
  run_options limited;
  limited.file_size_limit = 16 * 1024;
  limited.ignore_sigxfsz = true;
  fs::create_directories(path("parent"));
  const outcome nested = kmq({"compress", input, "--out-dir", path("parent/new/deeper/").string(), "-k", "16"}, limited);
  EXPECT_EQ(nested.code, 73) << nested.err;
  expect_names(nested, "fruits.png");
  expect_only(path("parent"), {});

  const outcome succeeded = kmq({"compress", input, "--out-dir", path("parent/made").string(), "-k", "16"});
  ASSERT_EQ(succeeded.code, 0) << succeeded.err;
  expect_only(path("parent/made"), {"fruits.png"});
}

// The same limit with SIGXFSZ at its default: the kernel kills kmq in the
// middle of writing. The unnamed temporary file dies with it.
TEST_F(FaultInjection, KilledBySigxfszLeavesNothing) {
  const std::string input = sample("fruits.jpg");
  fs::create_directories(path("out"));
  run_options limited;
  limited.file_size_limit = 16 * 1024;
  const outcome fresh = kmq({"compress", input, "-o", path("out/new.png").string(), "-k", "16"}, limited);
  EXPECT_EQ(fresh.signal, SIGXFSZ) << "exit " << fresh.code << ": " << fresh.err;
  expect_only(path("out"), {});
  write_file(path("out/old.png"), "the old output");
  const outcome forced = kmq({"compress", input, "-o", path("out/old.png").string(), "-k", "16", "--force"}, limited);
  EXPECT_EQ(forced.signal, SIGXFSZ) << "exit " << forced.code << ": " << forced.err;
  expect_only(path("out"), {"old.png"});
  EXPECT_EQ(read_file(path("out/old.png")), "the old output");
}

// A file system that is really full (ENOSPC): a 32 KiB tmpfs mounted in a
// private mount namespace (needs CAP_SYS_ADMIN: skipped where mount is not
// allowed). A batch into it: the small image's output fits and is complete,
// the large one's does not and leaves nothing; exit 73 naming it; an old
// output replaced with --force stays whole.
TEST_F(FaultInjection, FullFileSystemFailsTheImageThatDoesNotFit) {
  if (std::system("command -v unshare >/dev/null 2>&1") != 0) GTEST_SKIP() << "no unshare(1)";
  // A small image whose output fits easily: 40x30 of 4 colours.
  cv::Mat tiny(30, 40, CV_8UC3);
  for (int y = 0; y < tiny.rows; ++y)
    for (int x = 0; x < tiny.cols; ++x) tiny.at<cv::Vec3b>(y, x) = cv::Vec3b(x < 20 ? 0 : 255, y < 15 ? 0 : 255, 128);
  ASSERT_TRUE(cv::imwrite(path("a-tiny.png").string(), tiny));
  fs::copy_file(sample("fruits.jpg"), path("b-fruits.jpg"));
  const file_state tiny_before = state_of(path("a-tiny.png")), fruits_before = state_of(path("b-fruits.jpg"));
  fs::create_directories(path("mnt"));
  fs::create_directories(path("seen"));
  // In the namespace: mount, run kmq twice, record what is left, copy it out.
  const std::string script =
      "mount -t tmpfs -o size=32k kmq-faults \"$1\" 2>/dev/null || exit 200\n"
      "\"$2\" compress \"$3\" \"$4\" --out-dir \"$1/out\" -k 16 2>\"$5/batch.err\"; echo $? >\"$5/batch.code\"\n"
      "ls -A \"$1/out\" >\"$5/batch.list\"; cp -a \"$1/out/.\" \"$5/\"\n"
      "rm -rf \"$1/out\"; printf 'the old output' >\"$1/old.png\"\n"
      "\"$2\" compress \"$4\" -o \"$1/old.png\" -k 16 --force 2>\"$5/force.err\"; echo $? >\"$5/force.code\"\n"
      "ls -A \"$1\" >\"$5/force.list\"; cp \"$1/old.png\" \"$5/old-after.png\"\n"
      "exit 0\n";
  write_file(path("script.sh"), script);
  const std::string command = "unshare --mount --propagation private sh " + path("script.sh").string() + " " +
                              path("mnt").string() + " " + KMQ_BINARY + " " + path("a-tiny.png").string() + " " +
                              path("b-fruits.jpg").string() + " " + path("seen").string();
  const int status = std::system(command.c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 200) GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)";
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) GTEST_SKIP() << "unshare --mount is not allowed here";

  const fs::path seen = path("seen");
  EXPECT_EQ(read_file(seen / "batch.code"), "73\n") << read_file(seen / "batch.err");
  const std::string batch_err = read_file(seen / "batch.err");
  EXPECT_NE(batch_err.find("b-fruits.png"), std::string::npos) << batch_err;
  EXPECT_NE(batch_err.find("No space left on device"), std::string::npos) << batch_err;
  EXPECT_EQ(read_file(seen / "batch.list"), "a-tiny.png\n") << "partial or temporary output left";
  const cv::Mat back = cv::imread((seen / "a-tiny.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(cv::norm(back, tiny, cv::NORM_INF), 0.0) << "the output that fit is not complete";

  EXPECT_EQ(read_file(seen / "force.code"), "73\n") << read_file(seen / "force.err");
  EXPECT_NE(read_file(seen / "force.err").find("old.png"), std::string::npos) << read_file(seen / "force.err");
  EXPECT_EQ(read_file(seen / "force.list"), "old.png\n");
  EXPECT_EQ(read_file(seen / "old-after.png"), "the old output");
  EXPECT_TRUE(state_of(path("a-tiny.png")) == tiny_before);
  EXPECT_TRUE(state_of(path("b-fruits.jpg")) == fruits_before);
}

// Standard output on a device that is full: exit 73 naming it.
TEST_F(FaultInjection, StandardOutputOnAFullDevice) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  run_options to_full;
  to_full.stdout_file = "/dev/full";
  const outcome o = kmq({"compress", sample("fruits.jpg"), "-o", "-", "-k", "4"}, to_full);
  EXPECT_EQ(o.code, 73) << o.err;
  expect_names(o, "standard output");
  EXPECT_NE(o.err.find("No space left on device"), std::string::npos) << o.err;
}

// ---- permissions and paths ----------------------------------------------------

// An output directory kmq may not write (as root, kmq runs as nobody, since
// root writes anywhere): exit 73 naming the output, nothing created; an input
// it may not read: exit 66 naming it.
TEST_F(FaultInjection, OutputDirectoryNotWritableAndInputNotReadable) {
  run_options unprivileged;
  if (::geteuid() == 0) {
    unprivileged.as_nobody = true;
    const outcome probe = kmq({"--version"}, unprivileged);
    if (probe.code == 124) GTEST_SKIP() << "cannot switch to uid " << ::kmq::testing::nobody_uid;
    if (probe.code != 0) GTEST_SKIP() << "kmq does not start as nobody (is the build tree readable by all?): " << probe.err;
  }
  fs::create_directories(path("locked"));
  fs::permissions(path("locked"), fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                      fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  const std::string input = sample("baboon.jpg");
  const file_state before = state_of(input);

  const outcome single = kmq({"compress", input, "-o", path("locked/out.png").string(), "-k", "8"}, unprivileged);
  EXPECT_EQ(single.code, 73) << single.err;
  expect_names(single, "out.png");
  expect_only(path("locked"), {});

  const outcome batch = kmq({"compress", input, "--out-dir", path("locked").string(), "-k", "8"}, unprivileged);
  EXPECT_EQ(batch.code, 73) << batch.err;
  expect_names(batch, "baboon.png");
  expect_only(path("locked"), {});
  EXPECT_TRUE(state_of(input) == before);

  // A directory kmq would have to create inside the locked one.
  const outcome nested = kmq({"compress", input, "--out-dir", path("locked/sub").string(), "-k", "8"}, unprivileged);
  EXPECT_EQ(nested.code, 73) << nested.err;
  expect_names(nested, "locked/sub");
  expect_only(path("locked"), {});

  fs::copy_file(input, path("secret.jpg"));
  fs::permissions(path("secret.jpg"), fs::perms::owner_read | fs::perms::owner_write);
  if (!unprivileged.as_nobody) GTEST_SKIP() << "an unreadable input needs another user than the file's owner";
  const file_state secret = state_of(path("secret.jpg"));
  fs::create_directories(path("open"));  // an output directory nobody may write
  fs::permissions(path("open"), fs::perms::all);
  const outcome unreadable =
      kmq({"compress", path("secret.jpg").string(), "-o", path("open/out.png").string()}, unprivileged);
  EXPECT_EQ(unreadable.code, 66) << unreadable.err;
  expect_names(unreadable, "secret.jpg");
  EXPECT_NE(unreadable.err.find("Permission denied"), std::string::npos) << unreadable.err;
  expect_only(path("open"), {});
  EXPECT_TRUE(state_of(path("secret.jpg")) == secret);
}

// An output path that is a directory: exit 73 naming it, with or without
// --force, and the directory and what is in it stay as they were. In a batch
// the other outputs are still written.
TEST_F(FaultInjection, OutputPathIsADirectory) {
  const std::string input = sample("fruits.jpg");
  fs::create_directories(path("out.png"));
  write_file(path("out.png/inside.txt"), "keep me");
  for (const bool force : {false, true}) {
    std::vector<std::string> args = {"compress", input, "-o", path("out.png").string(), "-k", "4"};
    if (force) args.push_back("--force");
    const outcome o = kmq(args);
    EXPECT_EQ(o.code, 73) << (force ? "--force: " : "") << o.err;
    expect_names(o, "out.png");
    EXPECT_NE(o.err.find("is a directory"), std::string::npos) << o.err;
    EXPECT_TRUE(fs::is_directory(path("out.png")));
    expect_only(path("out.png"), {"inside.txt"});
    EXPECT_EQ(read_file(path("out.png/inside.txt")), "keep me");
  }
  expect_only(scratch_.path(), {"out.png", "stdout.txt", "stderr.txt"});

  // --out-dir: DIR/fruits.png is a directory, DIR/baboon.png is written.
  fs::create_directories(path("batch/fruits.png"));
  const outcome batch = kmq({"compress", input, sample("baboon.jpg"), "--out-dir", path("batch").string(), "-k", "4"});
  EXPECT_EQ(batch.code, 73) << batch.err;
  expect_names(batch, "fruits.png");
  expect_only(path("batch"), {"baboon.png", "fruits.png"});
  EXPECT_TRUE(fs::is_directory(path("batch/fruits.png")));
  EXPECT_FALSE(cv::imread(path("batch/baboon.png").string()).empty());
}

}  // namespace
