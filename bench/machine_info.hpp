// One line naming the machine a benchmark ran on, for the tables it writes.
#pragma once
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

namespace kmq::bench {

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
  return "Machine: " + model + ", " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads; " + date + ".";
}

// The 1-minute load average as /proc/loadavg gives it ("" where there is none).
inline std::string load_average_now() {
  std::string load;
  std::getline(std::ifstream("/proc/loadavg"), load);
  return load.substr(0, load.find(' '));
}

}  // namespace kmq::bench
