// Fault injection on the real kmq binary: a full disk (a file size limit, and
// a real full file system where a tmpfs can be mounted), an output directory
// kmq may not write, an output path that is a directory, inputs that vanish
// or change while a batch runs, standard output on a full device. For each:
// the documented exit code, the file named on stderr, no partial or temporary
// output left, and the inputs untouched (bytes and mtime). Killing kmq mid-write
// is test_write_interrupted's.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "child_process.hpp"

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& file, const std::string& content) { std::ofstream(file, std::ios::binary) << content; }

std::string sample(const std::string& name) {
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  return (fs::path(root ? root : ".") / "sample_images" / name).string();
}

// What a file was: its bytes and its modification time (ns).
struct file_state {
  std::string bytes;
  long long mtime_ns = 0;
  bool operator==(const file_state& o) const { return bytes == o.bytes && mtime_ns == o.mtime_ns; }
};

file_state state_of(const fs::path& file) {
  struct stat info {};
  file_state s;
  if (::stat(file.c_str(), &info) != 0) return s;
  s.bytes = read_file(file);
  s.mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
  return s;
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) found.insert(entry.path().filename().string());
  return found;
}

struct run_options {
  std::optional<rlim_t> file_size_limit;  // RLIMIT_FSIZE in bytes
  bool ignore_sigxfsz = false;            // then a write past the limit fails with EFBIG
  bool as_nobody = false;                 // setgid/setuid to nobody before exec (needs root)
  std::string stdout_file;                // default: <dir>/stdout.txt
};

struct outcome {
  int code = -1;    // exit code, -1 when killed
  int signal = 0;   // the signal that killed it
  std::string out, err;
};

class FaultInjection : public ::testing::Test {
 protected:
  FaultInjection()
      : scratch_(std::string("kmq-faults-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()) {}

  fs::path path(const std::string& name) const { return scratch_.path() / name; }

  // kmq started with args (already split), not waited for.
  pid_t start(const std::vector<std::string>& args, const run_options& options = {}) const {
    std::vector<std::string> argv = {KMQ_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    ::kmq::testing::child_options child;
    child.stdout_path = options.stdout_file.empty() ? path("stdout.txt").string() : options.stdout_file;
    child.stderr_path = path("stderr.txt").string();
    child.as_nobody = options.as_nobody;
    child.ignore_sigxfsz = options.ignore_sigxfsz;
    child.file_size_limit = options.file_size_limit;
    return ::kmq::testing::start_child(argv, child);
  }

  outcome finish(pid_t child, const run_options& options = {}) const {
    const ::kmq::testing::child_end end = ::kmq::testing::wait_child(child);
    outcome o;
    o.code = end.code;
    o.signal = end.signal;
    // (A device given as stdout_file, such as /dev/full, is not read back.)
    if (options.stdout_file.empty()) o.out = read_file(path("stdout.txt"));
    o.err = read_file(path("stderr.txt"));
    return o;
  }

  outcome kmq(const std::vector<std::string>& args, const run_options& options = {}) const {
    return finish(start(args, options), options);
  }

  // A directory holds exactly these names: nothing partial, nothing temporary.
  static void expect_only(const fs::path& dir, const std::set<std::string>& names) {
    EXPECT_EQ(names_in(dir), names) << "in " << dir;
  }

  ::kmq::testing::scratch_folder scratch_;
};

// Every failure says "kmq: <file>: <reason>" and names the file concerned.
void expect_names(const outcome& o, const std::string& file) {
  EXPECT_EQ(o.err.rfind("kmq: ", 0), 0u) << o.err;
  EXPECT_NE(o.err.find(file), std::string::npos) << "stderr does not name " << file << ": " << o.err;
}

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

// ---- inputs that change under kmq -------------------------------------------------

// CPU seconds the process has used so far (utime + stime of /proc/PID/stat).
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  std::vector<std::string> fields;
  while (rest >> field) fields.push_back(field);
  if (fields.size() < 13) return -1;
  return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A directory of four images, the first large (5120x2880 at K=256 takes
// seconds). Once kmq has listed the directory and is busy with the first, the
// test deletes the second and cuts the third in half. Expected: the second
// fails as missing (66), the third as truncated (65), each named on stderr and
// in its JSON line; the exit code is the first failure's (66); the first and
// the fourth outputs are complete (the fourth byte for byte as kmq writes it
// alone); nothing else is in the output directory; the inputs kmq read are
// untouched.
TEST_F(FaultInjection, InputsThatVanishOrShrinkMidBatch) {
  fs::create_directories(path("in"));
  fs::copy_file(sample("volna-5120x2880.jpg"), path("in/a-volna.jpg"));
  fs::copy_file(sample("fruits.jpg"), path("in/b-vanishes.jpg"));
  fs::copy_file(sample("baboon.jpg"), path("in/c-shrinks.jpg"));
  fs::copy_file(sample("fruits.jpg"), path("in/d-fruits.jpg"));
  const file_state volna = state_of(path("in/a-volna.jpg")), fruits = state_of(path("in/d-fruits.jpg"));

  const pid_t child = start({"compress", path("in").string(), "--out-dir", path("out").string(), "-k", "256", "--json"});
  // Listing the directory takes milliseconds; wait until kmq has spent a
  // quarter of a CPU second, i.e. is well into the first image.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (cpu_seconds(child) < 0.25 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const bool first_done = fs::exists(path("out/a-volna.png"));
  fs::remove(path("in/b-vanishes.jpg"));
  const std::string baboon = read_file(path("in/c-shrinks.jpg"));
  fs::resize_file(path("in/c-shrinks.jpg"), baboon.size() / 2);
  const outcome o = finish(child);
  ASSERT_FALSE(first_done) << "kmq finished the first image before the inputs changed: the test proves nothing";

  EXPECT_EQ(o.code, 66) << o.err;
  expect_names(o, "b-vanishes.jpg");
  EXPECT_NE(o.err.find("c-shrinks.jpg"), std::string::npos) << o.err;
  std::map<std::string, nlohmann::json> lines;
  std::istringstream json_lines(o.out);
  for (std::string line; std::getline(json_lines, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    lines[fs::path(j["input"].get<std::string>()).filename().string()] = j;
  }
  ASSERT_EQ(lines.size(), 4u) << o.out;
  EXPECT_EQ(lines["a-volna.jpg"]["status"], "ok");
  EXPECT_EQ(lines["b-vanishes.jpg"]["exit_code"], 66);
  EXPECT_EQ(lines["b-vanishes.jpg"]["error"], "input_unreadable");
  EXPECT_EQ(lines["c-shrinks.jpg"]["exit_code"], 65);
  EXPECT_EQ(lines["c-shrinks.jpg"]["error"], "bad_input");
  EXPECT_EQ(lines["d-fruits.jpg"]["status"], "ok");

  expect_only(path("out"), {"a-volna.png", "d-fruits.png"});
  const cv::Mat first = cv::imread(path("out/a-volna.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.cols, 5120);
  EXPECT_EQ(first.rows, 2880);
  EXPECT_EQ(lines["a-volna.jpg"]["output_bytes"].get<std::uintmax_t>(), fs::file_size(path("out/a-volna.png")));
  fs::create_directories(path("alone"));
  ASSERT_EQ(kmq({"compress", path("in/d-fruits.jpg").string(), "-o", path("alone/d.png").string(), "-k", "256", "-q"}).code, 0);
  EXPECT_EQ(read_file(path("out/d-fruits.png")), read_file(path("alone/d.png"))) << "the last output is not complete";

  EXPECT_TRUE(state_of(path("in/a-volna.jpg")) == volna);
  EXPECT_TRUE(state_of(path("in/d-fruits.jpg")) == fruits);
  EXPECT_EQ(read_file(path("in/c-shrinks.jpg")), baboon.substr(0, baboon.size() / 2));
}

}  // namespace
