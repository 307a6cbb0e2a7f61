#include "output_folders.hpp"

#include <algorithm>

namespace fs = std::filesystem;

namespace kmq::cli {

std::vector<fs::path> make_folders(const fs::path& dir, std::error_code& ec) {
  ec.clear();
  std::vector<fs::path> missing;  // innermost first
  for (fs::path at = dir.lexically_normal(); !at.empty(); at = at.parent_path()) {
    std::error_code exists_error;
    if (fs::exists(at, exists_error) || exists_error) break;
    missing.push_back(at);
    if (at == at.parent_path()) break;
  }
  fs::create_directories(dir, ec);
  if (ec) return {};
  std::reverse(missing.begin(), missing.end());
  return missing;
}

void remove_empty_folders(const std::vector<fs::path>& made) {
  for (auto it = made.rbegin(); it != made.rend(); ++it) {
    std::error_code ec;
    if (fs::is_directory(*it, ec) && fs::is_empty(*it, ec)) fs::remove(*it, ec);
  }
}

}  // namespace kmq::cli
