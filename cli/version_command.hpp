#pragma once
#include <string>

namespace kmq::cli {

// "kmq 0.1.0", then whether CUDA is compiled in and which device answers.
std::string version_text();

}  // namespace kmq::cli
