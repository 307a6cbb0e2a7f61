// kmq started from a test as a shell would start it: every signal at its
// default disposition and none blocked, whatever the test runner left (a
// background job ignores SIGINT); standard streams, environment, user and
// file-size limit as the test asks. Plus a scratch folder per test.
#pragma once
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace kmq::testing {

struct child_options {
  std::string stdin_path = "/dev/null";
  std::string stdout_path = "/dev/null";
  std::string stderr_path = "/dev/null";
  std::vector<std::string> set_env;    // NAME=VALUE
  std::vector<std::string> unset_env;  // NAME
  bool as_nobody = false;                 // uid and gid 65534 before exec (needs root; exit 124 where refused)
  std::optional<rlim_t> file_size_limit;  // RLIMIT_FSIZE in bytes
  bool ignore_sigxfsz = false;            // then a write past the limit fails with EFBIG
  bool ignore_sigint = false;             // as a shell starts a background job of a script (`cmd &`)
  std::string cwd;                        // the folder it runs in (empty: this one; exit 123 where it cannot)
};

constexpr uid_t nobody_uid = 65534;
constexpr gid_t nobody_gid = 65534;

// argv[0] is the program's path. Not waited for.
inline pid_t start_child(std::vector<std::string> argv, const child_options& options = {}) {
  std::vector<char*> pointers;
  for (std::string& a : argv) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  const pid_t child = ::fork();
  if (child != 0) return child;
  for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int in = ::open(options.stdin_path.c_str(), O_RDONLY);
  const int out = ::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  const int err = ::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (in < 0 || out < 0 || err < 0) ::_exit(125);
  if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(123);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  for (const std::string& name : options.unset_env) ::unsetenv(name.c_str());
  for (const std::string& entry : options.set_env) ::putenv(const_cast<char*>(entry.c_str()));
  if (options.as_nobody) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(nobody_gid) != 0 || ::setuid(nobody_uid) != 0) ::_exit(124);
  }
  if (options.ignore_sigxfsz) ::signal(SIGXFSZ, SIG_IGN);  // an ignored signal stays ignored across exec
  if (options.ignore_sigint) ::signal(SIGINT, SIG_IGN);
  if (options.file_size_limit) {
    const rlimit limit{*options.file_size_limit, *options.file_size_limit};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(123);
  }
  ::execv(pointers[0], pointers.data());
  ::_exit(127);
}

struct child_end {
  int status = -1;  // as waitpid gives it
  int code = -1;    // exit code, -1 when killed
  int signal = 0;   // the signal that killed it
  rusage usage{};   // its own resources (ru_maxrss in KiB)
};

inline child_end wait_child(pid_t child) {
  child_end end;
  int status = 0;
  while (::wait4(child, &status, 0, &end.usage) < 0) {
    if (errno != EINTR) return end;
  }
  end.status = status;
  if (WIFEXITED(status)) end.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) end.signal = WTERMSIG(status);
  return end;
}

// A folder of its own for each test (named after the test and the process),
// which the test may make unwritable: cleaning restores the owner's rights first.
class scratch_folder {
 public:
  explicit scratch_folder(std::string name) {
    // A parameterised test's name ("Case/0") must not make a folder inside another.
    std::replace(name.begin(), name.end(), '/', '-');
    path_ = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
    clean();
    std::filesystem::create_directories(path_);
    // Another user (nobody, in the unprivileged tests) must reach what is inside.
    namespace fs = std::filesystem;
    fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  }
  ~scratch_folder() { clean(); }
  scratch_folder(const scratch_folder&) = delete;
  scratch_folder& operator=(const scratch_folder&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  void clean() {
    namespace fs = std::filesystem;
    std::error_code ignored;
    if (!fs::exists(path_, ignored)) return;
    for (const auto& entry : fs::recursive_directory_iterator(path_, ignored)) {
      if (entry.is_directory(ignored) && !entry.is_symlink(ignored))
        fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add, ignored);
    }
    fs::remove_all(path_, ignored);
  }

  std::filesystem::path path_;
};

}  // namespace kmq::testing
