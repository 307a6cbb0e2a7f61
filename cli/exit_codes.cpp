#include "exit_codes.hpp"

namespace kmq::cli {

std::string failure::message() const { return path_.empty() ? std::string(what()) : path_ + ": " + what(); }

}  // namespace kmq::cli
