// write_file_atomically when the writing process is killed at each point that
// matters, on both routes: a new output is all or nothing, a replaced one old
// or new, and what SIGKILL leaves the next write removes; the interrupt
// cleanup leaves signals that are ignored or handled alone. kmq itself killed
// mid-write: test_write_interrupted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>

#include "kmq/io/output_file.hpp"
#include "output_file_test_support.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

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
