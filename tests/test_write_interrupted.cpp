// The real kmq binary killed (SIGKILL, SIGTERM, SIGINT) at many points of a
// run whose output takes milliseconds to write: afterwards the output
// directory holds the old output or the complete new one, and nothing else,
// except that a name kmq documents (".NAME.kmq-tmp") may be left where no
// handler can act (SIGKILL, or a signal kmq does not catch), at most one, and
// the next run removes it.
//
// Both ways of writing: the unnamed O_TMPFILE file, and the named temporary of
// file systems without O_TMPFILE (forced with KMQ_TEST_NAMED_TEMPORARY=1).
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "kmq/io/png_encoder.hpp"

namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& file, const std::string& content) {
  std::ofstream(file, std::ios::binary) << content;
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) found.insert(entry.path().filename().string());
  return found;
}

// Whether process pid catches signal (SigCgt in /proc/PID/status).
bool catches(pid_t pid, int signal) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) == 0) {
      const unsigned long long mask = std::strtoull(line.c_str() + 7, nullptr, 16);
      return ((mask >> (signal - 1)) & 1u) != 0;
    }
  }
  return false;
}

// kmq started with args; stdout to stdout_file (or /dev/null), stderr dropped.
pid_t start_kmq(const std::vector<std::string>& args, bool named_route, const std::string& stdout_file = "") {
  std::vector<std::string> argv = {KMQ_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  kmq::testing::child_options child;
  if (!stdout_file.empty()) child.stdout_path = stdout_file;
  if (named_route) {
    child.set_env = {"KMQ_TEST_NAMED_TEMPORARY=1"};
  } else {
    child.unset_env = {"KMQ_TEST_NAMED_TEMPORARY"};
  }
  return kmq::testing::start_child(argv, child);
}

int wait_for(pid_t child) { return kmq::testing::wait_child(child).status; }

void sleep_until(clock_type::time_point when) {
  const auto left = when - clock_type::now();
  if (left <= clock_type::duration::zero()) return;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  timespec t{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  while (::nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

const char* signal_name(int s) { return s == SIGKILL ? "SIGKILL" : s == SIGTERM ? "SIGTERM" : "SIGINT"; }

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

class WriteInterrupted : public ::testing::Test {
 protected:
  // One input for every test: a 1000x1000 palette image of noise, 256
  // colours, stored without compression. kmq -k 256 keeps it lossless and
  // quick to cluster, and with --png-level 0 its 1 MB output takes some
  // milliseconds to write and flush. Then three uninterrupted runs give the
  // reference output and when, in a run, the write happens.
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("kmq-interrupted-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "in");
    fs::create_directories(root_ / "calibration");
    constexpr std::uint32_t side = 1000;
    std::uint64_t state = 0x9e3779b97f4a7c15ull;
    auto next = [&state] {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state;
    };
    std::vector<kmq::packed_rgba> palette(256);
    for (auto& c : palette) c = kmq::pack_rgba(next() & 255, next() & 255, next() & 255, 255);
    std::vector<std::uint8_t> indices(std::size_t{side} * side);
    for (auto& i : indices) i = static_cast<std::uint8_t>(next() >> 56);
    const std::vector<std::uint8_t> png = kmq::io::encode_palette_png(palette, indices, side, side, 0);
    input_ = (root_ / "in" / "noise.png").string();
    write_file(input_, std::string(png.begin(), png.end()));

    const fs::path output = root_ / "calibration" / "out.png";
    const std::string json = (root_ / "summary.json").string();
    std::vector<double> runs, links, writes;
    for (int i = 0; i < 3; ++i) {
      fs::remove(output);
      timespec wall{};
      ::clock_gettime(CLOCK_REALTIME, &wall);
      const auto start = clock_type::now();
      const int status = wait_for(start_kmq(arguments(output, false, true), false, json));
      runs.push_back(seconds_since(start));
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        setup_failure_ = "kmq failed: status " + std::to_string(status);
        return;
      }
      // The output got its name at its ctime (the link, or the rename).
      struct stat info {};
      ::stat(output.c_str(), &info);
      links.push_back(static_cast<double>(info.st_ctim.tv_sec - wall.tv_sec) +
                      static_cast<double>(info.st_ctim.tv_nsec - wall.tv_nsec) * 1e-9);
      const std::string summary = read_file(json);
      const auto at = summary.find("\"write\":");
      writes.push_back(at == std::string::npos ? 0.01 : std::strtod(summary.c_str() + at + 8, nullptr));
      const std::string bytes = read_file(output);
      if (i == 0) reference_ = bytes;
      if (bytes != reference_) setup_failure_ = "kmq is not deterministic";
    }
    run_seconds_ = median(runs);
    link_seconds_ = std::min(median(links), run_seconds_);
    write_seconds_ = median(writes);
    if (reference_.size() < 1000000) setup_failure_ = "the output is smaller than expected";
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  void SetUp() override {
    ASSERT_TRUE(setup_failure_.empty()) << setup_failure_;
    out_dir_ = root_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(out_dir_);
    fs::create_directories(out_dir_);
  }

  static std::vector<std::string> arguments(const fs::path& output, bool force, bool json) {
    std::vector<std::string> a = {"compress", input_, "-o", output.string(), "-k", "256", "--png-level", "0"};
    a.push_back(json ? "--json" : "-q");
    if (force) a.push_back("--force");
    return a;
  }
  fs::path output() const { return out_dir_ / "out.png"; }
  fs::path temporary() const { return out_dir_ / ".out.png.kmq-tmp"; }

  // The moments to kill kmq: `early` of them spread over the run before its
  // write (from the start of the process), the others spread over the write
  // itself, from when kmq has the file open (however briefly the write takes,
  // and however much the start-up of the process varies).
  struct moment {
    bool in_write;
    double seconds;  // after the start of the process, or after the file is open
  };
  static std::vector<moment> moments(int count) {
    std::vector<moment> m;
    const int early = std::max(1, count / 4);
    const double before_write = std::max(0.0, link_seconds_ - write_seconds_ - 0.02);
    for (int i = 0; i < early; ++i) m.push_back({false, before_write * (i + 0.5) / early});
    // Denser at the start: the file is often seen open late in its write
    // (flushing it takes the longest).
    const int during = count - early;
    for (int i = 0; i < during; ++i) {
      const double x = static_cast<double>(i) / std::max(1, during - 1);
      m.push_back({true, write_seconds_ * 1.2 * x * x});
    }
    return m;
  }

  // Whether kmq has a file open in the output directory (the unnamed file
  // shows as "DIR/#123 (deleted)", the named one by its name).
  bool writing(pid_t pid) const {
    const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
    const std::string prefix = watched_dir_ + "/";
    DIR* dir = ::opendir(fds.c_str());
    if (dir == nullptr) return false;
    bool found = false;
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      char target[4096];
      const ssize_t n = ::readlink((fds + "/" + entry->d_name).c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = '\0';
      if (std::strncmp(target, prefix.c_str(), prefix.size()) == 0) found = true;
    }
    ::closedir(dir);
    return found;
  }

  // Waits until kmq opens its file; false when it finished first (then
  // status is its status).
  bool wait_for_write(pid_t pid, int& status) const {
    const auto give_up = clock_type::now() + std::chrono::seconds(10);
    while (clock_type::now() < give_up) {
      if (writing(pid)) return true;
      if (::waitpid(pid, &status, WNOHANG) == pid) return false;
      const timespec pause{0, 100000};
      ::nanosleep(&pause, nullptr);
    }
    return false;
  }

  // Kills kmq at every moment with SIGKILL, SIGTERM and SIGINT in turn, and
  // checks the directory after each. force: over an existing old output.
  void sweep(bool force, bool named_route, int count) {
    watched_dir_ = fs::canonical(out_dir_).string();
    const std::string old_bytes = "the old output";
    const int signals[] = {SIGKILL, SIGTERM, SIGINT};
    std::map<std::string, int> seen;  // what the kills left, for the log
    int handled_kills = 0, caught_writing = 0, aimed_at_write = 0;
    const std::vector<moment> when = moments(count);
    for (std::size_t i = 0; i < when.size(); ++i) {
      const int signal = signals[i % 3];
      SCOPED_TRACE(std::string(signal_name(signal)) + (when[i].in_write ? " in the write after " : " after ") +
                   std::to_string(when[i].seconds * 1000) + " ms");
      if (force && read_file(output()) != old_bytes) write_file(output(), old_bytes);
      if (!force) fs::remove(output());
      const bool leftover_before = fs::exists(temporary());

      const auto start = clock_type::now();
      const pid_t child = start_kmq(arguments(output(), force, false), named_route);
      ASSERT_GT(child, 0);
      int status = 0;
      bool reaped = false;
      if (when[i].in_write) {
        ++aimed_at_write;
        reaped = !wait_for_write(child, status);
        if (!reaped) ++caught_writing;
        sleep_until(clock_type::now() +
                    std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(when[i].seconds)));
      } else {
        sleep_until(start +
                    std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(when[i].seconds)));
      }
      bool handled = false;
      if (!reaped) {
        // Whether kmq's handler was in place when the signal was sent: then
        // SIGTERM and SIGINT must leave nothing.
        handled = signal != SIGKILL && catches(child, signal);
        ::kill(child, signal);
        status = wait_for(child);
      }

    const std::set<std::string> names = names_in(out_dir_);
      const bool has_output = names.count("out.png") != 0;
      const bool has_temporary = names.count(".out.png.kmq-tmp") != 0;
      for (const std::string& name : names)
        EXPECT_TRUE(name == "out.png" || name == ".out.png.kmq-tmp") << "left behind: " << name;

      std::string outcome;
      if (WIFEXITED(status)) {
        // Finished before the signal came: the whole new output, and no
        // temporary file, not even one a previous kill left.
        EXPECT_EQ(WEXITSTATUS(status), 0);
        EXPECT_TRUE(has_output && read_file(output()) == reference_) << "not the complete output";
        EXPECT_FALSE(has_temporary) << "a finished run left (or did not remove) the temporary file";
        outcome = "finished";
      } else {
        ASSERT_TRUE(WIFSIGNALED(status)) << status;
        EXPECT_EQ(WTERMSIG(status), signal) << "kmq must die of the signal it got";
        if (handled) ++handled_kills;
        std::string content;
        if (has_output) content = read_file(output());
        if (force) {
          EXPECT_TRUE(has_output && (content == old_bytes || content == reference_)) << "neither old nor new output";
          outcome = !has_output ? "no output" : content == old_bytes ? "old" : "new";
        } else {
          EXPECT_TRUE(!has_output || content == reference_) << "an incomplete output";
          outcome = has_output ? "new" : "nothing";
        }
        if (has_temporary) outcome += " + temporary";
        if (has_temporary && !leftover_before) {
          // The unnamed route gives the file a name only in --force's named
          // step, complete; a caught SIGTERM/SIGINT removes any name.
          EXPECT_TRUE(named_route || force) << "the unnamed route left a named file";
          EXPECT_FALSE(handled) << "kmq caught " << signal_name(signal) << " but left its temporary file";
          if (!named_route) EXPECT_EQ(read_file(temporary()), reference_) << "an incomplete file in the named step";
        }
      }
      ++seen[outcome];
    }
    // The next run removes whatever a kill left.
    if (!force) fs::remove(output());
    const int status = wait_for(start_kmq(arguments(output(), force, false), named_route));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(names_in(out_dir_), std::set<std::string>{"out.png"});
    EXPECT_EQ(read_file(output()), reference_);

    std::string log;
    for (const auto& [what, n] : seen) log += " " + what + " " + std::to_string(n) + ",";
    std::printf("a run takes %.0f ms, its output gets its name at %.0f ms after %.1f ms of writing\n"
                "%zu kills:%s %d caught by kmq's handler, %d of %d aimed at the write found kmq writing\n",
                run_seconds_ * 1000, link_seconds_ * 1000, write_seconds_ * 1000, when.size(), log.c_str(),
                handled_kills, caught_writing, aimed_at_write);
    // The kills must have found kmq writing, else this tested nothing.
    EXPECT_GE(caught_writing, std::max(1, aimed_at_write / 4)) << "kmq was seldom seen writing";
  }

  static inline fs::path root_;
  static inline std::string input_;
  static inline std::string reference_;
  static inline std::string setup_failure_;
  static inline double run_seconds_ = 0;
  static inline double link_seconds_ = 0;
  static inline double write_seconds_ = 0;
  fs::path out_dir_;
  std::string watched_dir_;
};

TEST_F(WriteInterrupted, ANewOutput) { sweep(false, false, 20); }

TEST_F(WriteInterrupted, ReplacingAnOutputWithForce) { sweep(true, false, 20); }

TEST_F(WriteInterrupted, ANewOutputWithoutOTmpfile) { sweep(false, true, 10); }

TEST_F(WriteInterrupted, ReplacingAnOutputWithoutOTmpfile) { sweep(true, true, 10); }

}  // namespace
