#include "kmq/io/output_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "interrupt_registry.hpp"
#include "kmq/error.hpp"
#include "kmq/fnv_hash.hpp"
#include "stale_temporary.hpp"

namespace kmq::io {
namespace {

using detail::make_room;
using detail::remove_if_stale;
using detail::same_file;
using detail::wait_for_other_writer;

struct split_path {
  std::string dir;
  std::string name;
};

split_path split(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

std::string error_text(int code) { return std::strerror(code); }

// The longest file name Linux's file systems take, in bytes.
constexpr std::size_t longest_name = 255;

void require_file_name(const std::string& output, const split_path& parts) {
  if (output.empty()) throw error(error_kind::invalid_argument, output, "the output path is empty");
  if (parts.name.empty() || parts.name == "." || parts.name == "..")
    throw error(error_kind::output_failed, output, "names a directory, not a file");
  if (parts.name.size() > longest_name) {
    throw error(error_kind::output_failed, output,
                "the file name is " + std::to_string(parts.name.size()) + " bytes long; file systems take at most " +
                    std::to_string(longest_name));
  }
}

// ".NAME.kmq-tmp"; where that would pass the longest name (NAME of 247 bytes
// or more), ".PREFIX~HASH.kmq-tmp": the name's first bytes and a 64-bit
// FNV-1a hash of all of it, so the name is still one per output and the
// same in every run (a stale one is found again).
std::string temporary_name(const split_path& parts) {
  const std::string folder = parts.dir == "/" ? std::string() : parts.dir;
  const std::string suffix = ".kmq-tmp";
  if (1 + parts.name.size() + suffix.size() <= longest_name) return folder + "/." + parts.name + suffix;
  const std::string hex = fnv1a_64_hex(parts.name);
  const std::size_t prefix = longest_name - 1 - 1 - 16 - suffix.size();
  return folder + "/." + parts.name.substr(0, prefix) + "~" + hex + suffix;
}

// Read without changing it: umask() alone can only be read by setting it,
// which would race with other threads creating files.
mode_t process_umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
  }
  const mode_t mask = ::umask(022);
  ::umask(mask);
  return mask;
}

[[noreturn]] void fail(const std::string& output, const std::string& what, int code) {
  throw error(error_kind::output_failed, output, what + ": " + error_text(code));
}

[[noreturn]] void exists(const std::string& output) {
  throw error(error_kind::output_failed, output, "exists (use --force to replace it)");
}

// --- test hooks ------------------------------------------------------------------

std::atomic<int> named_override{-1};  // -1: from the environment
std::atomic<detail::write_hook> hook{nullptr};

bool named_route_only() {
  const int forced = named_override.load(std::memory_order_relaxed);
  if (forced >= 0) return forced != 0;
  const char* env = std::getenv("KMQ_TEST_NAMED_TEMPORARY");
  return env != nullptr && env[0] != '\0' && std::strcmp(env, "0") != 0;
}

void at(const char* stage, const char* temporary) {
  if (const detail::write_hook h = hook.load(std::memory_order_acquire)) h(stage, temporary);
}

// --- writing ----------------------------------------------------------------------

// An open file descriptor, closed on the way out.
class descriptor {
 public:
  descriptor() = default;
  explicit descriptor(int fd) : fd_(fd) {}
  ~descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  descriptor(const descriptor&) = delete;
  descriptor& operator=(const descriptor&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// kmq's mark, set by both routes as soon as the file is created and locked,
// before its first byte: no output of kmq is ever seen unmarked, and a killed
// run's temporary file is known as kmq's (stale_temporary.cpp; an empty mark,
// without an origin, still counts there but names no input). Best effort: a
// file system without user xattrs keeps none, and such an output is then
// treated as any file of the user's.
void mark_as_kmqs(int fd, const std::string& origin) {
  ::fsetxattr(fd, kmq_origin_attribute, origin.data(), origin.size(), 0);
}

// Content, permissions and durability settled before the file gets the
// output's name. where: how the error names the file.
void write_all(int fd, const std::vector<std::uint8_t>& bytes, const std::string& output, const std::string& where) {
  // The output should look like any file the user creates.
  if (::fchmod(fd, 0666 & ~process_umask()) != 0) fail(output, "cannot set permissions on " + where, errno);
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t wrote = ::write(fd, p, left);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      fail(output, "cannot write " + where, errno);
    }
    p += wrote;
    left -= static_cast<std::size_t>(wrote);
  }
  if (::fsync(fd) != 0) fail(output, "cannot flush " + where, errno);
}

// The new name is in the directory, not the file: flush it too so the output
// survives a crash. Best effort, as some filesystems refuse fsync on directories.
void flush_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool tmpfile_unsupported(int code) {
  return code == EOPNOTSUPP || code == ENOTSUP || code == EISDIR || code == EINVAL || code == ENOSYS;
}

// Gives the unnamed file fd the name target; 0 or an errno. linkat through
// /proc/self/fd works unprivileged; AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH
// and serves where /proc is not mounted.
int link_unnamed(int fd, const std::string& target) {
  char proc_path[64];
  std::snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
  if (::linkat(AT_FDCWD, proc_path, AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
  const int code = errno;
  if (code == EEXIST) return code;
  if (::linkat(fd, "", AT_FDCWD, target.c_str(), AT_EMPTY_PATH) == 0) return 0;
  return errno == EEXIST ? EEXIST : code;
}

enum class outcome { written, unavailable };

// The unnamed route: O_TMPFILE, then linkat onto the output (no name before
// the output's own), or, to replace an existing output, linkat onto the
// temporary name and rename at once. unavailable: the file system cannot do
// it; nothing was created.
outcome write_unnamed(const std::string& output, const split_path& parts, const std::string& temporary,
                      const std::vector<std::uint8_t>& bytes, bool force, const std::string& origin) {
#ifdef O_TMPFILE
  const descriptor file(::open(parts.dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666));
  if (!file.valid()) {
    const int code = errno;
    if (tmpfile_unsupported(code)) return outcome::unavailable;
    fail(output, "cannot create a temporary file in " + parts.dir, code);
  }
  // Held from before the file has any name: a stale-file check by another
  // writer never takes this one for a leftover.
  ::flock(file.get(), LOCK_EX | LOCK_NB);
  mark_as_kmqs(file.get(), origin);
  write_all(file.get(), bytes, output, "a temporary file in " + parts.dir);
  at("written", "");

  int code = link_unnamed(file.get(), output);
  if (code == 0) return outcome::written;
  if (code != EEXIST) return outcome::unavailable;  // no linkat here: the named route writes it again
  if (!force) exists(output);

  // Replacing: linkat cannot, rename needs a name. The file is complete and
  // flushed; it carries the temporary name only between these two calls.
  const auto deadline = std::chrono::steady_clock::now() + wait_for_other_writer;
  int wait_ms = 1;
  for (;;) {
    {
      // Registered a moment before it exists, so that no moment of its life
      // escapes a signal; released before waiting on another writer's file.
      const detail::registration registered(temporary);
      code = link_unnamed(file.get(), temporary);
      if (code == 0) {
        at("linked", temporary.c_str());
        if (::rename(temporary.c_str(), output.c_str()) != 0) {
          const int rename_code = errno;
          ::unlink(temporary.c_str());
          fail(output, "cannot replace", rename_code);
        }
        return outcome::written;
      }
    }
    if (code != EEXIST) fail(output, "cannot create " + temporary, code);
    make_room(output, temporary, deadline, wait_ms);
  }
#else
  (void)output, (void)parts, (void)temporary, (void)bytes, (void)force;
  return outcome::unavailable;
#endif
}

bool link_unsupported(int code) {
  return code == EPERM || code == ENOTSUP || code == EOPNOTSUPP || code == EMLINK || code == ENOSYS;
}

// The named temporary file of the fallback route, registered for the signal
// handler, locked, and removed unless it was committed under the output's name.
class named_temporary {
 public:
  named_temporary(const std::string& output, const split_path& parts, const std::string& path, const std::string& origin)
      : output_(output), path_(path) {
    const auto deadline = std::chrono::steady_clock::now() + wait_for_other_writer;
    int wait_ms = 1;
    for (;;) {
      // As above: registered a moment before it exists.
      slot_ = detail::register_temporary(path_);
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd_ >= 0) break;
      const int code = errno;
      detail::unregister_temporary(slot_);
      slot_ = -1;
      if (code != EEXIST) fail(output_, "cannot create a temporary file in " + parts.dir, code);
      make_room(output_, path_, deadline, wait_ms);
    }
    // Locked first, so that another writer takes it for a living one's, then
    // marked, so that a run killed from here on leaves a file the next write
    // knows as its own leftover; one killed in the microseconds before leaves
    // a file that write refuses to remove.
    ::flock(fd_, LOCK_EX | LOCK_NB);
    mark_as_kmqs(fd_, origin);
    ::fstat(fd_, &identity_);
    at("created", path_.c_str());
  }
  ~named_temporary() {
    if (!committed_ && still_mine()) ::unlink(path_.c_str());
    detail::unregister_temporary(slot_);
    if (fd_ >= 0) ::close(fd_);  // drops the lock, last
  }
  named_temporary(const named_temporary&) = delete;
  named_temporary& operator=(const named_temporary&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  void mark_committed() { committed_ = true; }

  // The name still leads to the file written here (no one removed it in between).
  bool still_mine() const {
    struct stat now {};
    return ::lstat(path_.c_str(), &now) == 0 && same_file(now, identity_);
  }

  [[noreturn]] void fail_with(const std::string& what, int code) const { fail(output_, what, code); }

 private:
  std::string output_;
  std::string path_;
  int fd_ = -1;
  int slot_ = -1;
  struct stat identity_ {};
  bool committed_ = false;
};

// Gives the temporary file the output's name without replacing a file that
// appeared since check_output_path: link() fails with EEXIST where rename()
// would silently replace.
void commit_without_replacing(named_temporary& temp, const std::string& output) {
  if (::link(temp.path().c_str(), output.c_str()) == 0) {
    ::unlink(temp.path().c_str());
    temp.mark_committed();
    return;
  }
  if (errno == EEXIST) exists(output);
  if (!link_unsupported(errno)) temp.fail_with("cannot create", errno);
#ifdef RENAME_NOREPLACE
  if (::renameat2(AT_FDCWD, temp.path().c_str(), AT_FDCWD, output.c_str(), RENAME_NOREPLACE) == 0) {
    temp.mark_committed();
    return;
  }
  if (errno == EEXIST) exists(output);
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) temp.fail_with("cannot create", errno);
#endif
  // A filesystem with neither hard links nor RENAME_NOREPLACE: check, then
  // rename, and accept the small window between the two.
  struct stat info {};
  if (::lstat(output.c_str(), &info) == 0) exists(output);
  if (::rename(temp.path().c_str(), output.c_str()) != 0) temp.fail_with("cannot create", errno);
  temp.mark_committed();
}

// The fallback route: the bytes go to the temporary name from the start.
void write_named(const std::string& output, const split_path& parts, const std::string& temporary,
                 const std::vector<std::uint8_t>& bytes, bool force, const std::string& origin) {
  named_temporary temp(output, parts, temporary, origin);
  write_all(temp.fd(), bytes, output, temp.path());
  at("written", temp.path().c_str());
  if (force) {
    if (!temp.still_mine()) temp.fail_with("cannot replace", ENOENT);
    if (::rename(temp.path().c_str(), output.c_str()) != 0) temp.fail_with("cannot replace", errno);
    temp.mark_committed();
  } else {
    commit_without_replacing(temp, output);
  }
}

}  // namespace

void check_output_path(const std::string& input, const std::string& output, bool force) {
  const split_path parts = split(output);
  require_file_name(output, parts);

  // stat() follows links, so a symlink or hard link to the input, or another
  // spelling of its path, lands on the same device and inode.
  struct stat in{}, out{};
  if (::stat(input.c_str(), &in) == 0 && ::stat(output.c_str(), &out) == 0 && in.st_dev == out.st_dev &&
      in.st_ino == out.st_ino)
    throw error(error_kind::invalid_argument, output, "is the same file as the input " + input);

  // lstat(): a dangling symlink is still something we would replace.
  if (::lstat(output.c_str(), &out) == 0) {
    if (S_ISDIR(out.st_mode) || (::stat(output.c_str(), &out) == 0 && S_ISDIR(out.st_mode)))
      throw error(error_kind::output_failed, output, "is a directory");
    if (!force) exists(output);
  }

  struct stat dir {};
  if (::stat(parts.dir.c_str(), &dir) != 0) {
    const int code = errno;
    if (code == ENOENT) throw error(error_kind::output_failed, output, "directory " + parts.dir + " does not exist");
    if (code == ENOTDIR) throw error(error_kind::output_failed, output, parts.dir + " is not a directory");
    throw error(error_kind::output_failed, output, "cannot reach directory " + parts.dir + ": " + error_text(code));
  }
  if (!S_ISDIR(dir.st_mode)) throw error(error_kind::output_failed, output, parts.dir + " is not a directory");
  if (::access(parts.dir.c_str(), W_OK | X_OK) != 0)
    throw error(error_kind::output_failed, output, "cannot write to directory " + parts.dir + ": " + error_text(errno));
}

std::string temporary_path_for(const std::string& output) { return temporary_name(split(output)); }

std::string origin_of_input(const std::string& input) {
  struct stat info {};
  if (input.empty() || ::stat(input.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return input;
  char* resolved = ::realpath(input.c_str(), nullptr);
  if (resolved == nullptr) return input;
  std::string absolute = resolved;
  std::free(resolved);
  return absolute;
}

std::string kmq_output_origin(const std::string& path) {
  char value[4096];
  const ssize_t got = ::getxattr(path.c_str(), kmq_origin_attribute, value, sizeof value);
  return got > 0 ? std::string(value, static_cast<std::size_t>(got)) : std::string();
}

void write_file_atomically(const std::string& output, const std::vector<std::uint8_t>& bytes, bool force,
                           const std::string& origin) {
  const split_path parts = split(output);
  require_file_name(output, parts);
  const std::string temporary = temporary_name(parts);
  // A previous run killed while its file had the temporary name left it.
  remove_if_stale(temporary);
  const std::string mark = origin.empty() ? origin : origin_of_input(origin);
  if (named_route_only() || write_unnamed(output, parts, temporary, bytes, force, mark) == outcome::unavailable)
    write_named(output, parts, temporary, bytes, force, mark);
  flush_directory(parts.dir);
}

namespace detail {

void use_named_temporary(bool named) { named_override.store(named ? 1 : 0, std::memory_order_relaxed); }

void set_write_hook(write_hook h) { hook.store(h, std::memory_order_release); }

}  // namespace detail

}  // namespace kmq::io
