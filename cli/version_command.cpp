#include "version_command.hpp"

#include "kmq/cuda_backend.hpp"
#include "kmq/output_revision.hpp"

namespace kmq::cli {

std::string version_text() {
  const cuda_status cuda = cuda_probe();
  std::string text = std::string("kmq ") + KMQ_VERSION + "\n";
  text += "output revision: " + std::to_string(output_revision) + "\n";
  text += std::string("cuda: ") + (cuda.compiled ? "compiled in" : "not compiled in") + "\n";
  if (cuda.available) {
    text += "device: " + cuda.device_name + " (device " + std::to_string(cuda.device_index) + ")\n";
  } else {
    text += "device: none (" + cuda.reason + "); the CPU backend is used\n";
  }
  return text;
}

}  // namespace kmq::cli
