// write_file_atomically on both routes, the unnamed file (O_TMPFILE) and the
// named temporary of file systems without it: permissions from the umask, no
// stray file after any failure, a stale temporary of the same output removed
// and nothing else, and a living writer of the same output waited for.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kmq/error.hpp"
#include "kmq/io/output_file.hpp"
#include "output_file_test_support.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

INSTANTIATE_TEST_SUITE_P(Routes, OutputRoute, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Named" : "Unnamed"; });

TEST_F(OutputFile, TheTemporaryNameIsRecognisable) {
  EXPECT_EQ(temporary_path_for("/a/b/out.png"), "/a/b/.out.png.kmq-tmp");
  EXPECT_EQ(temporary_path_for("out.png"), "./.out.png.kmq-tmp");
  EXPECT_EQ(temporary_path_for("/out.png"), "/.out.png.kmq-tmp");
}

// ".NAME.kmq-tmp" would pass 255 bytes from a NAME of 247: such a name's
// temporary is its first bytes and a hash, at most 255 bytes, one per name.
TEST_F(OutputFile, ALongNamesTemporaryNameFitsAndIsItsOwn) {
  const std::string fits(246, 'y');
  EXPECT_EQ(temporary_path_for("/d/" + fits), "/d/." + fits + ".kmq-tmp");
  std::set<std::string> seen;
  for (const std::size_t length : {247u, 250u, 255u, 300u}) {
    for (const char last : {'a', 'b'}) {
      const std::string name = std::string(length - 1, 'y') + last;
      const std::string temporary = fs::path(temporary_path_for("/d/" + name)).filename().string();
      EXPECT_LE(temporary.size(), 255u) << length;
      EXPECT_EQ(temporary.front(), '.');
      EXPECT_EQ(temporary.substr(temporary.size() - 8), ".kmq-tmp");
      EXPECT_EQ(temporary_path_for("/d/" + name), "/d/" + temporary) << "the same in every call";
      EXPECT_TRUE(seen.insert(temporary).second) << "two names share " << temporary;
    }
  }
}

// An output named with 247-255 bytes is written and replaced like any other,
// leaving nothing beside it; a longer name is refused before anything is made.
TEST_P(OutputRoute, NamesUpToTheLongestAreReplacedWithForce) {
  for (const std::size_t length : {246u, 247u, 255u}) {
    SCOPED_TRACE(length);
    const std::string output = path(std::string(length - 4, 'y') + ".png");
    write_file_atomically(output, payload, false);
    write_file_atomically(output, {'n', 'e', 'w'}, true);
    EXPECT_EQ(read(output), "new");
    EXPECT_EQ(names(), (std::set<std::string>{"in.png", fs::path(output).filename().string()}));
    fs::remove(output);
  }
  const std::string too_long = path(std::string(252, 'y') + ".png");
  try {
    write_file_atomically(too_long, payload, true);
    ADD_FAILURE() << "a 256-byte name was written";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::output_failed);
    EXPECT_NE(std::string(e.what()).find("256 bytes long"), std::string::npos) << e.what();
  }
  EXPECT_EQ(names(), (std::set<std::string>{"in.png"}));
}

TEST_P(OutputRoute, NewAndReplacedFilesHonourTheUmask) {
  for (const mode_t mask : {mode_t{027}, mode_t{022}, mode_t{0}}) {
    SCOPED_TRACE(mask);
    fs::remove(path("out.png"));
    const mode_t old_mask = ::umask(mask);
    write_file_atomically(path("out.png"), payload, false);
    struct stat created {};
    ::stat(path("out.png").c_str(), &created);
    make_file(path("out.png"), "old");
    ::chmod(path("out.png").c_str(), 0600);
    write_file_atomically(path("out.png"), payload, true);
    struct stat replaced {};
    ::stat(path("out.png").c_str(), &replaced);
    ::umask(old_mask);
    EXPECT_EQ(created.st_mode & 07777, 0666u & ~mask);
    EXPECT_EQ(replaced.st_mode & 07777, 0666u & ~mask);
    EXPECT_EQ(replaced.st_nlink, 1u);
    const std::string written = read(path("out.png"));
    EXPECT_EQ(bytes(written.begin(), written.end()), payload);
    EXPECT_EQ(names(), (std::set<std::string>{"in.png", "out.png"}));
  }
}

TEST_P(OutputRoute, NoStrayFileAfterAnyFailure) {
  make_file(path("taken.png"), "someone else's");
  expect_failure([&] { write_file_atomically(path("taken.png"), payload, false); }, error_kind::output_failed,
                 "exists (use --force to replace it)");
  fs::create_directories(dir_ / "dir.png" / "inside");
  expect_failure([&] { write_file_atomically(path("dir.png"), payload, true); }, error_kind::output_failed, "dir.png");
  expect_failure([&] { write_file_atomically(path("no/out.png"), payload, true); }, error_kind::output_failed,
                 "cannot create a temporary file");
  expect_failure([&] { write_file_atomically(input_ + "/out.png", payload, true); }, error_kind::output_failed,
                 "Not a directory");
  EXPECT_EQ(read(path("taken.png")), "someone else's");
  EXPECT_EQ(read(input_), "input bytes");
  EXPECT_EQ(names(), (std::set<std::string>{"in.png", "taken.png", "dir.png"}));
}

// A file as a killed run of kmq leaves it: its bytes, and kmq's mark on it
// (false where this file system keeps no user attributes).
bool make_leftover(const std::string& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
  const std::string origin = "in.png";
  return ::setxattr(file.c_str(), kmq_origin_attribute, origin.data(), origin.size(), 0) == 0;
}

// As a run killed between naming its temporary file and renaming it leaves it.
TEST_P(OutputRoute, AStaleTemporaryOfTheSameOutputIsRemovedAndNothingElse) {
  const std::vector<std::string> unrelated = {".out.png.kmq-tmp2", ".out.png.kmq-tmp.old", ".other.png.kmq-tmp",
                                              ".out.png.AbC123",   "out.png.kmq-tmp",       ".out.png",
                                              ".kmq-tmp",          "..out.png.kmq-tmp"};
  for (const std::string& name : unrelated) make_file(path(name), name);
  for (const bool force : {false, true}) {
    SCOPED_TRACE(force ? "--force over an existing output" : "a new output");
    if (force) make_file(path("out.png"), "old");
    make_leftover(temporary(), "left over by a killed run");
    write_file_atomically(path("out.png"), payload, force);
    EXPECT_FALSE(fs::exists(temporary()));
    const std::string written = read(path("out.png"));
    EXPECT_EQ(bytes(written.begin(), written.end()), payload);
    for (const std::string& name : unrelated) EXPECT_EQ(read(path(name)), name) << name;
  }
  // A write of another output leaves this output's temporary alone.
  make_leftover(temporary(), "left over by a killed run");
  write_file_atomically(path("another.png"), payload, false);
  EXPECT_EQ(read(temporary()), "left over by a killed run");
}

// A file of the user's that happens to have the temporary name (no kmq mark)
// is never removed, --force or not: a write that needs the name fails, naming
// it (the unnamed route needs it only to replace an output).
TEST_P(OutputRoute, AnUnmarkedFileAtTheTemporaryNameIsTheUsersAndLeftAlone) {
  if (!make_leftover(path("probe"), "probe")) GTEST_SKIP() << "this file system keeps no user attributes: the name decides";
  make_file(temporary(), "the user's notes");
  make_file(path("out.png"), "old");
  expect_failure([&] { write_file_atomically(path("out.png"), payload, true); }, error_kind::output_failed,
                 "a file kmq did not write has that name");
  EXPECT_EQ(read(path("out.png")), "old");
  EXPECT_EQ(read(temporary()), "the user's notes");
  fs::remove(path("out.png"));
  if (GetParam()) {
    expect_failure([&] { write_file_atomically(path("out.png"), payload, false); }, error_kind::output_failed,
                   "a file kmq did not write has that name");
    EXPECT_FALSE(fs::exists(path("out.png")));
  } else {
    write_file_atomically(path("out.png"), payload, false);
  }
  EXPECT_EQ(read(temporary()), "the user's notes");
}

// Something at the temporary name that kmq never makes is never removed; a
// write that needs the name fails instead.
TEST_P(OutputRoute, NotARegularFileAtTheTemporaryNameIsLeftAlone) {
  make_file(path("victim"), "victim");
  fs::create_symlink(path("victim"), temporary());
  make_file(path("out.png"), "old");
  expect_failure([&] { write_file_atomically(path("out.png"), payload, true); }, error_kind::output_failed,
                 "cannot create");
  EXPECT_EQ(read(path("out.png")), "old");
  EXPECT_TRUE(fs::is_symlink(temporary()));
  EXPECT_EQ(read(path("victim")), "victim");
  fs::remove(temporary());
  fs::create_directory(temporary());
  expect_failure([&] { write_file_atomically(path("out.png"), payload, true); }, error_kind::output_failed,
                 "cannot create");
  EXPECT_TRUE(fs::is_directory(temporary()));
  EXPECT_EQ(read(path("out.png")), "old");
}

// A temporary file that a living writer holds (flock) is its, not stale: the
// write waits for it instead of removing it.
TEST_P(OutputRoute, WaitsForAnotherWriterOfTheSameOutput) {
  make_file(path("out.png"), "old");
  make_leftover(temporary(), "being written");
  const int held = ::open(temporary().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  std::thread other_writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(read(temporary()), "being written") << "removed while its writer held it";
    ::close(held);
  });
  const auto start = std::chrono::steady_clock::now();
  write_file_atomically(path("out.png"), payload, true);
  const auto waited = std::chrono::steady_clock::now() - start;
  other_writer.join();
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  const std::string written = read(path("out.png"));
  EXPECT_EQ(bytes(written.begin(), written.end()), payload);
  EXPECT_FALSE(fs::exists(temporary()));
}

}  // namespace
}  // namespace kmq::io
