// Several files as one zip, built in memory with libzip (no temporary file).
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmq::serve {

// (name, bytes) pairs; names must be distinct; the bytes are read, not copied,
// and must live until it returns. Throws error(internal) when libzip fails.
std::string make_zip(const std::vector<std::pair<std::string, std::string_view>>& files);

// Distinct names: a second "a.png" becomes "a-2.png", and so on.
std::vector<std::string> distinct_names(const std::vector<std::string>& names);

}  // namespace kmq::serve
