// check_output_path and write_file_atomically: never harm the input or a file
// the user did not ask us to replace, and leave no temporary file behind, on
// both routes (unnamed O_TMPFILE file, and the named temporary of file systems
// without it), also when the writing process is killed at each point that
// matters.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kmq/error.hpp"
#include "kmq/io/output_file.hpp"

namespace kmq::io {
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
void expect_failure(F f, error_kind kind, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "no failure, expected \"" << text << "\"";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), kind) << e.describe();
    EXPECT_NE(e.describe().find(text), std::string::npos) << e.describe();
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


// --- both routes: the unnamed file (O_TMPFILE) and the named temporary -------

// GetParam(): true for the named route (file systems without O_TMPFILE).
class OutputRoute : public OutputFile, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    OutputFile::SetUp();
    detail::use_named_temporary(GetParam());
  }
  void TearDown() override {
    detail::use_named_temporary(false);
    OutputFile::TearDown();
  }

  std::string temporary() const { return path(".out.png.kmq-tmp"); }

  // Every name in the directory.
  std::set<std::string> names() const {
    std::set<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir_)) found.insert(entry.path().filename().string());
    return found;
  }
};

INSTANTIATE_TEST_SUITE_P(Routes, OutputRoute, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Named" : "Unnamed"; });

TEST_F(OutputFile, TheTemporaryNameIsRecognisable) {
  EXPECT_EQ(temporary_path_for("/a/b/out.png"), "/a/b/.out.png.kmq-tmp");
  EXPECT_EQ(temporary_path_for("out.png"), "./.out.png.kmq-tmp");
  EXPECT_EQ(temporary_path_for("/out.png"), "/.out.png.kmq-tmp");
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

// As a run killed between naming its temporary file and renaming it leaves it.
TEST_P(OutputRoute, AStaleTemporaryOfTheSameOutputIsRemovedAndNothingElse) {
  const std::vector<std::string> unrelated = {".out.png.kmq-tmp2", ".out.png.kmq-tmp.old", ".other.png.kmq-tmp",
                                              ".out.png.AbC123",   "out.png.kmq-tmp",       ".out.png",
                                              ".kmq-tmp",          "..out.png.kmq-tmp"};
  for (const std::string& name : unrelated) make_file(path(name), name);
  for (const bool force : {false, true}) {
    SCOPED_TRACE(force ? "--force over an existing output" : "a new output");
    if (force) make_file(path("out.png"), "old");
    make_file(temporary(), "left over by a killed run");
    write_file_atomically(path("out.png"), payload, force);
    EXPECT_FALSE(fs::exists(temporary()));
    const std::string written = read(path("out.png"));
    EXPECT_EQ(bytes(written.begin(), written.end()), payload);
    for (const std::string& name : unrelated) EXPECT_EQ(read(path(name)), name) << name;
  }
  // A write of another output leaves this output's temporary alone.
  make_file(temporary(), "left over by a killed run");
  write_file_atomically(path("other.png"), payload, false);
  EXPECT_EQ(read(temporary()), "left over by a killed run");
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
  make_file(temporary(), "being written");
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

// --- killed while writing -------------------------------------------------------

// What the child process does at the hook.
const char* kill_stage = "";
int kill_signal = 0;

void kill_at(const char* stage, const char* /*temporary*/) {
  if (std::strcmp(stage, kill_stage) == 0) ::raise(kill_signal);
}

class KilledWrite : public OutputRoute {
 protected:
  // Writes payload to out.png in a child process that kills itself with
  // signal at stage (after install_interrupt_cleanup, as kmq's main does).
  // True when the child died of that signal.
  bool write_and_die(const char* stage, int signal, bool force) {
    kill_stage = stage;
    kill_signal = signal;
    const std::string output = path("out.png");
    const pid_t child = ::fork();
    if (child == 0) {
      // Whatever dispositions the test runner left, start from the defaults.
      for (const int s : {SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM}) ::signal(s, SIG_DFL);
      install_interrupt_cleanup();
      detail::set_write_hook(kill_at);
      try {
        write_file_atomically(output, big_payload(), force);
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);
    }
    int status = 0;
    if (child < 0 || ::waitpid(child, &status, 0) != child) return false;
    EXPECT_TRUE(WIFSIGNALED(status)) << "status " << status;
    return WIFSIGNALED(status) && WTERMSIG(status) == signal;
  }

  static const bytes& big_payload() {
    static const bytes b = [] {
      bytes v(1 << 20);
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i * 2654435761u >> 13);
      return v;
    }();
    return b;
  }
};

INSTANTIATE_TEST_SUITE_P(Routes, KilledWrite, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Named" : "Unnamed"; });

TEST_P(KilledWrite, ANewOutputIsAllOrNothing) {
  for (const int signal : {SIGKILL, SIGTERM, SIGINT}) {
    for (const char* stage : {"created", "written"}) {
      SCOPED_TRACE(std::string(stage) + ", signal " + std::to_string(signal));
      fs::remove(temporary());
      if (!GetParam() && std::strcmp(stage, "created") == 0) continue;  // the unnamed route has no such stage
      ASSERT_TRUE(write_and_die(stage, signal, false));
      EXPECT_FALSE(fs::exists(path("out.png")));
      if (signal == SIGKILL && GetParam()) {
        // Nothing can remove a name when SIGKILL strikes: at most the one
        // recognisable temporary, which the next write removes.
        EXPECT_EQ(names(), (std::set<std::string>{"in.png", ".out.png.kmq-tmp"}));
        write_file_atomically(path("out.png"), payload, false);
        EXPECT_EQ(names(), (std::set<std::string>{"in.png", "out.png"}));
        fs::remove(path("out.png"));
      } else {
        EXPECT_EQ(names(), (std::set<std::string>{"in.png"}));
      }
    }
  }
}

TEST_P(KilledWrite, AReplacedOutputIsOldOrNew) {
  for (const int signal : {SIGKILL, SIGTERM, SIGINT}) {
    for (const char* stage : {"created", "written", "linked"}) {
      SCOPED_TRACE(std::string(stage) + ", signal " + std::to_string(signal));
      const bool named_stage = GetParam() ? std::strcmp(stage, "linked") != 0 : std::strcmp(stage, "linked") == 0;
      const bool unnamed_written = !GetParam() && std::strcmp(stage, "written") == 0;
      if (!named_stage && !unnamed_written) continue;  // a stage this route does not have
      make_file(path("out.png"), "old");
      ASSERT_TRUE(write_and_die(stage, signal, true));
      EXPECT_EQ(read(path("out.png")), "old");
      if (signal == SIGKILL && named_stage) {
        // SIGKILL at a moment the file has the temporary name leaves it.
        if (std::strcmp(stage, "linked") == 0) {
          const std::string left = read(temporary());
          EXPECT_TRUE(bytes(left.begin(), left.end()) == big_payload()) << "the named step holds the complete file";
        }
        EXPECT_EQ(names(), (std::set<std::string>{"in.png", "out.png", ".out.png.kmq-tmp"}));
        write_file_atomically(path("out.png"), payload, true);
        const std::string written = read(path("out.png"));
        EXPECT_EQ(bytes(written.begin(), written.end()), payload);
      }
      EXPECT_EQ(names(), (std::set<std::string>{"in.png", "out.png"}));
    }
  }
}

TEST_F(OutputFile, InterruptCleanupLeavesIgnoredAndHandledSignalsAlone) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    struct sigaction own {};
    own.sa_handler = [](int) {};
    ::sigaction(SIGQUIT, &own, nullptr);
    install_interrupt_cleanup();
    install_interrupt_cleanup();  // again: nothing changes
    struct sigaction hup {}, quit {}, term {}, intr {};
    ::sigaction(SIGHUP, nullptr, &hup);
    ::sigaction(SIGQUIT, nullptr, &quit);
    ::sigaction(SIGTERM, nullptr, &term);
    ::sigaction(SIGINT, nullptr, &intr);
    const bool ok = hup.sa_handler == SIG_IGN && quit.sa_handler == own.sa_handler && term.sa_handler != SIG_DFL &&
                    term.sa_handler != SIG_IGN && intr.sa_handler == term.sa_handler;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace kmq::io
