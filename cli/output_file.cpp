#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "exit_codes.hpp"

namespace kmq::cli {
namespace {

struct split_path {
  std::string dir;
  std::string name;
};

split_path split(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

std::string error_text(int error) { return std::strerror(error); }

void require_file_name(const std::string& output, const split_path& parts) {
  if (output.empty()) throw failure(exit_usage, output, "the output path is empty");
  if (parts.name.empty() || parts.name == "." || parts.name == "..")
    throw failure(exit_cant_create, output, "names a directory, not a file");
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

// The temporary file, removed unless it was committed under its final name.
class temp_file {
 public:
  temp_file(const std::string& output, const split_path& parts) : output_(output) {
    std::string pattern = parts.dir + "/." + parts.name + ".XXXXXX";
    fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd_ < 0) fail("cannot create a temporary file in " + parts.dir, errno);
    path_ = pattern;
  }
  ~temp_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !path_.empty()) ::unlink(path_.c_str());
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;

  // Content, permissions and durability settled before the file gets its name.
  void write_all(const std::vector<std::uint8_t>& bytes) {
    // mkstemp makes 0600; the output should look like any file the user creates.
    if (::fchmod(fd_, 0666 & ~process_umask()) != 0) fail("cannot set permissions on " + path_, errno);
    const std::uint8_t* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
      const ssize_t wrote = ::write(fd_, p, left);
      if (wrote < 0) {
        if (errno == EINTR) continue;
        fail("cannot write " + path_, errno);
      }
      p += wrote;
      left -= static_cast<std::size_t>(wrote);
    }
    if (::fsync(fd_) != 0) fail("cannot flush " + path_, errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("cannot write " + path_, errno);
  }

  const std::string& path() const { return path_; }
  void mark_committed() { committed_ = true; }

  [[noreturn]] void fail(const std::string& what, int error) const {
    throw failure(exit_cant_create, output_, what + ": " + error_text(error));
  }

 private:
  std::string output_;
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

[[noreturn]] void exists(const std::string& output) {
  throw failure(exit_cant_create, output, "exists (use --force to replace it)");
}

bool link_unsupported(int error) {
  return error == EPERM || error == ENOTSUP || error == EOPNOTSUPP || error == EMLINK || error == ENOSYS;
}

// Gives the temporary file the output's name without replacing a file that
// appeared since check_output_path: link() fails with EEXIST where rename()
// would silently replace.
void commit_without_replacing(temp_file& temp, const std::string& output) {
  if (::link(temp.path().c_str(), output.c_str()) == 0) {
    ::unlink(temp.path().c_str());
    temp.mark_committed();
    return;
  }
  if (errno == EEXIST) exists(output);
  if (!link_unsupported(errno)) temp.fail("cannot create", errno);
#ifdef RENAME_NOREPLACE
  if (::renameat2(AT_FDCWD, temp.path().c_str(), AT_FDCWD, output.c_str(), RENAME_NOREPLACE) == 0) {
    temp.mark_committed();
    return;
  }
  if (errno == EEXIST) exists(output);
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) temp.fail("cannot create", errno);
#endif
  // A filesystem with neither hard links nor RENAME_NOREPLACE: check, then
  // rename, and accept the small window between the two.
  struct stat info {};
  if (::lstat(output.c_str(), &info) == 0) exists(output);
  if (::rename(temp.path().c_str(), output.c_str()) != 0) temp.fail("cannot create", errno);
  temp.mark_committed();
}

// The new name is in the directory, not the file: flush it too so the output
// survives a crash. Best effort, as some filesystems refuse fsync on directories.
void flush_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
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
    throw failure(exit_usage, output, "is the same file as the input " + input);

  // lstat(): a dangling symlink is still something we would replace.
  if (::lstat(output.c_str(), &out) == 0) {
    if (S_ISDIR(out.st_mode) || (::stat(output.c_str(), &out) == 0 && S_ISDIR(out.st_mode)))
      throw failure(exit_cant_create, output, "is a directory");
    if (!force) exists(output);
  }

  struct stat dir {};
  if (::stat(parts.dir.c_str(), &dir) != 0) {
    const int error = errno;
    if (error == ENOENT) throw failure(exit_cant_create, output, "directory " + parts.dir + " does not exist");
    if (error == ENOTDIR) throw failure(exit_cant_create, output, parts.dir + " is not a directory");
    throw failure(exit_cant_create, output, "cannot reach directory " + parts.dir + ": " + error_text(error));
  }
  if (!S_ISDIR(dir.st_mode)) throw failure(exit_cant_create, output, parts.dir + " is not a directory");
  if (::access(parts.dir.c_str(), W_OK | X_OK) != 0)
    throw failure(exit_cant_create, output, "cannot write to directory " + parts.dir + ": " + error_text(errno));
}

void write_file_atomically(const std::string& output, const std::vector<std::uint8_t>& bytes, bool force) {
  const split_path parts = split(output);
  require_file_name(output, parts);
  temp_file temp(output, parts);
  temp.write_all(bytes);
  if (force) {
    if (::rename(temp.path().c_str(), output.c_str()) != 0) temp.fail("cannot replace", errno);
    temp.mark_committed();
  } else {
    commit_without_replacing(temp, output);
  }
  flush_directory(parts.dir);
}

}  // namespace kmq::cli
