// The page's files (serve/page/), embedded at build time (embed_files.cmake).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace kmq::serve {

struct page_asset {
  const char* path;  // "/index.html", "/app.js", ...
  const unsigned char* data;
  std::size_t size;
};

const std::vector<page_asset>& page_assets();

}  // namespace kmq::serve
