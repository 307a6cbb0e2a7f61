// One line naming the machine a benchmark ran on, for the tables it writes:
// CPU, hardware threads, GPU (or none, from nvidia-smi), the kmq source commit
// (KMQ_SOURCE_DIR, set by bench/CMakeLists.txt; -dirty when a file outside
// results/ differs from it) and the date, as
// bench/machine_info.py writes them for the Python benchmarks.
#pragma once
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

namespace kmq::bench {

// The first line a shell command prints ("" when it fails or prints nothing).
inline std::string first_line_of(const std::string& command) {
  std::string line;
  if (FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r")) {
    char buffer[512];
    if (std::fgets(buffer, sizeof buffer, pipe)) line = buffer;
    const int status = ::pclose(pipe);
    if (status != 0) line.clear();
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

inline std::string gpu_description() {
  const std::string gpu = first_line_of("timeout 20 nvidia-smi --query-gpu=name,driver_version --format=csv,noheader");
  return gpu.empty() ? "no GPU" : gpu;
}

inline std::string source_commit() {
#ifdef KMQ_SOURCE_DIR
  const std::string git = "git -C '" KMQ_SOURCE_DIR "' ";
  const std::string head = first_line_of(git + "rev-parse --short HEAD");
  if (head.empty()) return "unknown commit";
  // The tables under results/ are not the source: a benchmark rewriting its own table is not a change.
  const std::string changes = first_line_of(git + "status --porcelain --untracked-files=no -- . ':(exclude)results'");
  return head + (changes.empty() ? "" : "-dirty");
#else
  return "unknown commit";
#endif
}

inline std::string machine_description() {
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  return "Machine: " + model + ", " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads, " +
         gpu_description() + "; kmq source at " + source_commit() + "; " + date + ".";
}

// The 1-minute load average as /proc/loadavg gives it ("" where there is none).
inline std::string load_average_now() {
  std::string load;
  std::getline(std::ifstream("/proc/loadavg"), load);
  return load.substr(0, load.find(' '));
}

}  // namespace kmq::bench
