// check_output_path and write_file_atomically: never harm the input or a file
// the user did not ask us to replace, and leave no temporary file behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "output_file.hpp"

namespace kmq::cli {
namespace {

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

class OutputFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kmq-output-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    input_ = path("in.png");
    make_file(input_, "input bytes");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static void make_file(const std::string& file, const std::string& content) {
    std::ofstream(file, std::ios::binary) << content;
  }

  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Names in the directory that look like our temporary files (".name.XXXXXX").
  std::vector<std::string> temporaries() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (!name.empty() && name[0] == '.') found.push_back(name);
    }
    return found;
  }

  fs::path dir_;
  std::string input_;
};

// Runs f, expecting a failure with code whose message contains text.
template <typename F>
void expect_failure(F f, exit_code code, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "no failure, expected \"" << text << "\"";
  } catch (const failure& e) {
    EXPECT_EQ(e.code(), code) << e.message();
    EXPECT_NE(e.message().find(text), std::string::npos) << e.message();
  }
}

const bytes payload = {'k', 'm', 'q', 0, 1, 2, 255};

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
      expect_failure([&] { check_output_path(input_, output, force); }, exit_usage, "same file as the input");
    }
  }
  EXPECT_EQ(read(input_), "input bytes");
}

TEST_F(OutputFile, TheInputNamedRelativeToTheWorkingDirectory) {
  const fs::path before = fs::current_path();
  fs::current_path(dir_);
  expect_failure([&] { check_output_path("in.png", input_, true); }, exit_usage, "same file as the input");
  expect_failure([&] { check_output_path(input_, "in.png", true); }, exit_usage, "same file as the input");
  EXPECT_NO_THROW(check_output_path("in.png", "out.png", false));
  fs::current_path(before);
}

TEST_F(OutputFile, AnExistingOutputNeedsForce) {
  make_file(path("out.png"), "old");
  expect_failure([&] { check_output_path(input_, path("out.png"), false); }, exit_cant_create,
                 "exists (use --force to replace it)");
  EXPECT_NO_THROW(check_output_path(input_, path("out.png"), true));
}

TEST_F(OutputFile, ADanglingSymlinkCountsAsExisting) {
  fs::create_symlink(dir_ / "nowhere.png", path("dangling.png"));
  expect_failure([&] { check_output_path(input_, path("dangling.png"), false); }, exit_cant_create, "exists");
  EXPECT_NO_THROW(check_output_path(input_, path("dangling.png"), true));
}

TEST_F(OutputFile, AMissingDirectory) {
  expect_failure([&] { check_output_path(input_, path("no/such/dir/out.png"), false); }, exit_cant_create,
                 "does not exist");
}

// Tests run as root, which writes into a chmod 0555 directory anyway: a
// regular file standing where the directory should be fails for everyone.
TEST_F(OutputFile, ADirectoryThatIsAFile) {
  expect_failure([&] { check_output_path(input_, input_ + "/out.png", true); }, exit_cant_create, "is not a directory");
}

TEST_F(OutputFile, AnUnwritableDirectory) {
  if (::geteuid() == 0) {
    // root may write anywhere except on a read-only filesystem; /proc/self
    // is one place we can count on.
    expect_failure([] { write_file_atomically("/proc/self/kmq-out.png", payload, true); }, exit_cant_create,
                   "cannot create a temporary file in /proc/self");
    return;
  }
  fs::create_directory(dir_ / "locked");
  fs::permissions(dir_ / "locked", fs::perms::owner_read | fs::perms::owner_exec);
  expect_failure([&] { check_output_path(input_, path("locked/out.png"), false); }, exit_cant_create,
                 "cannot write to directory");
  fs::permissions(dir_ / "locked", fs::perms::owner_all);
}

TEST_F(OutputFile, AnOutputThatIsADirectory) {
  fs::create_directory(dir_ / "out.png");
  expect_failure([&] { check_output_path(input_, path("out.png"), true); }, exit_cant_create, "is a directory");
  expect_failure([&] { check_output_path(input_, path("sub/"), true); }, exit_cant_create, "names a directory");
  expect_failure([&] { check_output_path(input_, "", true); }, exit_usage, "empty");
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
  expect_failure([&] { write_file_atomically(path("out.png"), payload, false); }, exit_cant_create,
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
  expect_failure([&] { write_file_atomically(path("out.png"), payload, true); }, exit_cant_create, "out.png");
  EXPECT_TRUE(temporaries().empty()) << temporaries().front();
}

TEST_F(OutputFile, AMissingOrBogusDirectory) {
  expect_failure([&] { write_file_atomically(path("no/out.png"), payload, false); }, exit_cant_create,
                 "cannot create a temporary file");
  expect_failure([&] { write_file_atomically(input_ + "/out.png", payload, true); }, exit_cant_create,
                 "Not a directory");
  EXPECT_EQ(read(input_), "input bytes");
}

}  // namespace
}  // namespace kmq::cli
