// check_output_path and write_file_atomically: never harm the input or a file
// the user did not ask us to replace, and leave no temporary file behind. Here
// what is refused before a write and what a write refuses itself; both routes
// (unnamed O_TMPFILE file, and the named temporary of file systems without it)
// in test_output_file_routes.cpp, the writing process killed at each point that
// matters in test_output_file_killed.cpp.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "kmq/error.hpp"
#include "kmq/io/output_file.hpp"
#include "output_file_test_support.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

// --- check_output_path ------------------------------------------------------

TEST_F(OutputFile, ANewFileInAnExistingDirectoryIsFine) {
  EXPECT_NO_THROW(check_output_path(input_, path("out.png"), false));
  EXPECT_NO_THROW(check_output_path(input_, path("out.png"), true));
}

TEST_F(OutputFile, TheInputItselfUnderAnyNameIsRefusedEvenWithForce) {
  fs::create_symlink(input_, path("link.png"));
  fs::create_hard_link(input_, path("hard.png"));
  fs::create_directory(dir_ / "sub");
  const std::vector<std::string> spellings = {
      input_,
      path("./in.png"),
      path("sub/../in.png"),
      path("link.png"),
      path("hard.png"),
      (dir_.parent_path() / ".." / dir_.parent_path().filename() / dir_.filename() / "in.png").string()};
  for (const std::string& output : spellings) {
    for (bool force : {false, true}) {
      SCOPED_TRACE(output + (force ? " --force" : ""));
      expect_failure([&] { check_output_path(input_, output, force); }, error_kind::invalid_argument, "same file as the input");
    }
  }
  EXPECT_EQ(read(input_), "input bytes");
}

TEST_F(OutputFile, TheInputNamedRelativeToTheWorkingDirectory) {
  const fs::path before = fs::current_path();
  fs::current_path(dir_);
  expect_failure([&] { check_output_path("in.png", input_, true); }, error_kind::invalid_argument, "same file as the input");
  expect_failure([&] { check_output_path(input_, "in.png", true); }, error_kind::invalid_argument, "same file as the input");
  EXPECT_NO_THROW(check_output_path("in.png", "out.png", false));
  fs::current_path(before);
}

TEST_F(OutputFile, AnExistingOutputNeedsForce) {
  make_file(path("out.png"), "old");
  expect_failure([&] { check_output_path(input_, path("out.png"), false); }, error_kind::output_failed,
                 "exists (use --force to replace it)");
  EXPECT_NO_THROW(check_output_path(input_, path("out.png"), true));
}

TEST_F(OutputFile, ADanglingSymlinkCountsAsExisting) {
  fs::create_symlink(dir_ / "nowhere.png", path("dangling.png"));
  expect_failure([&] { check_output_path(input_, path("dangling.png"), false); }, error_kind::output_failed, "exists");
  EXPECT_NO_THROW(check_output_path(input_, path("dangling.png"), true));
}

TEST_F(OutputFile, AMissingDirectory) {
  expect_failure([&] { check_output_path(input_, path("no/such/dir/out.png"), false); }, error_kind::output_failed,
                 "does not exist");
}

// Tests run as root, which writes into a chmod 0555 directory anyway: a
// regular file standing where the directory should be fails for everyone.
TEST_F(OutputFile, ADirectoryThatIsAFile) {
  expect_failure([&] { check_output_path(input_, input_ + "/out.png", true); }, error_kind::output_failed, "is not a directory");
}

TEST_F(OutputFile, AnUnwritableDirectory) {
  if (::geteuid() == 0) {
    // root may write anywhere except on a read-only filesystem; /proc/self
    // is one place we can count on.
    expect_failure([] { write_file_atomically("/proc/self/kmq-out.png", payload, true); }, error_kind::output_failed,
                   "cannot create a temporary file in /proc/self");
    return;
  }
  fs::create_directory(dir_ / "locked");
  fs::permissions(dir_ / "locked", fs::perms::owner_read | fs::perms::owner_exec);
  expect_failure([&] { check_output_path(input_, path("locked/out.png"), false); }, error_kind::output_failed,
                 "cannot write to directory");
  fs::permissions(dir_ / "locked", fs::perms::owner_all);
}

TEST_F(OutputFile, AnOutputThatIsADirectory) {
  fs::create_directory(dir_ / "out.png");
  expect_failure([&] { check_output_path(input_, path("out.png"), true); }, error_kind::output_failed, "is a directory");
  expect_failure([&] { check_output_path(input_, path("sub/"), true); }, error_kind::output_failed, "names a directory");
  expect_failure([&] { check_output_path(input_, "", true); }, error_kind::invalid_argument, "empty");
}

// --- write_file_atomically ----------------------------------------------------

TEST_F(OutputFile, WritesTheBytesWithUmaskPermissions) {
  const mode_t old_mask = ::umask(027);
  write_file_atomically(path("out.png"), payload, false);
  ::umask(old_mask);
  const std::string written = read(path("out.png"));
  EXPECT_EQ(bytes(written.begin(), written.end()), payload);
  struct stat info {};
  ASSERT_EQ(::stat(path("out.png").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640u);
  EXPECT_EQ(info.st_nlink, 1u) << "the temporary name is gone";
  EXPECT_TRUE(temporaries().empty());
}

TEST_F(OutputFile, AnEmptyFileAndARelativeName) {
  const fs::path before = fs::current_path();
  fs::current_path(dir_);
  write_file_atomically("rel.png", {}, false);
  fs::current_path(before);
  EXPECT_EQ(fs::file_size(dir_ / "rel.png"), 0u);
  EXPECT_TRUE(temporaries().empty());
}

TEST_F(OutputFile, NeverReplacesWithoutForce) {
  // As when another program creates the output between the check and the write.
  make_file(path("out.png"), "someone else's");
  expect_failure([&] { write_file_atomically(path("out.png"), payload, false); }, error_kind::output_failed,
                 "exists (use --force to replace it)");
  EXPECT_EQ(read(path("out.png")), "someone else's");
  EXPECT_TRUE(temporaries().empty()) << temporaries().front();
}

TEST_F(OutputFile, ReplacesWithForce) {
  make_file(path("out.png"), "old");
  write_file_atomically(path("out.png"), payload, true);
  const std::string written = read(path("out.png"));
  EXPECT_EQ(bytes(written.begin(), written.end()), payload);
  EXPECT_TRUE(temporaries().empty());
}

TEST_F(OutputFile, ForceReplacesASymlinkNotItsTarget) {
  make_file(path("target.png"), "target");
  fs::create_symlink(path("target.png"), path("out.png"));
  write_file_atomically(path("out.png"), payload, true);
  EXPECT_FALSE(fs::is_symlink(path("out.png")));
  EXPECT_EQ(read(path("target.png")), "target");
}

TEST_F(OutputFile, AFailedRenameRemovesTheTemporaryFile) {
  // rename() cannot put a file over a non-empty directory, even with force.
  fs::create_directories(dir_ / "out.png" / "inside");
  expect_failure([&] { write_file_atomically(path("out.png"), payload, true); }, error_kind::output_failed, "out.png");
  EXPECT_TRUE(temporaries().empty()) << temporaries().front();
}

TEST_F(OutputFile, AMissingOrBogusDirectory) {
  expect_failure([&] { write_file_atomically(path("no/out.png"), payload, false); }, error_kind::output_failed,
                 "cannot create a temporary file");
  expect_failure([&] { write_file_atomically(input_ + "/out.png", payload, true); }, error_kind::output_failed,
                 "Not a directory");
  EXPECT_EQ(read(input_), "input bytes");
}

}  // namespace
}  // namespace kmq::io
