#include "zip_archive.hpp"

#include <set>

#include <zip.h>

#include "kmq/error.hpp"

namespace kmq::serve {
namespace {

[[noreturn]] void zip_failed(const char* what, zip_error_t* detail) {
  const std::string reason = std::string("zip: ") + what + ": " + (detail ? zip_error_strerror(detail) : "failed");
  throw error(error_kind::internal, reason);
}

}  // namespace

std::string make_zip(const std::vector<std::pair<std::string, std::string_view>>& files) {
  zip_error_t err;
  zip_error_init(&err);
  // The archive is written into this growing buffer source, kept past zip_close.
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &err);
  if (buffer == nullptr) zip_failed("buffer", &err);
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &err);
  if (archive == nullptr) {
    zip_source_free(buffer);
    zip_failed("open", &err);
  }
  for (const auto& [name, bytes] : files) {
    // libzip reads the bytes at zip_close: they live in files until then.
    zip_source_t* source = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
    if (source == nullptr || zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8) < 0) {
      if (source != nullptr) zip_source_free(source);
      zip_discard(archive);
      zip_source_free(buffer);
      zip_failed("add", nullptr);
    }
  }
  if (zip_close(archive) < 0) {
    zip_discard(archive);
    zip_source_free(buffer);
    zip_failed("close", nullptr);
  }
  std::string out;
  if (zip_source_open(buffer) < 0 || zip_source_seek(buffer, 0, SEEK_END) < 0) {
    zip_source_free(buffer);
    zip_failed("read back", nullptr);
  }
  const zip_int64_t size = zip_source_tell(buffer);
  zip_source_seek(buffer, 0, SEEK_SET);
  out.resize(static_cast<std::size_t>(size < 0 ? 0 : size));
  const zip_int64_t read = size > 0 ? zip_source_read(buffer, out.data(), static_cast<zip_uint64_t>(size)) : 0;
  zip_source_close(buffer);
  zip_source_free(buffer);
  if (read != size) zip_failed("read back", nullptr);
  return out;
}

std::vector<std::string> distinct_names(const std::vector<std::string>& names) {
  std::set<std::string> used;
  std::vector<std::string> out;
  for (const std::string& name : names) {
    std::string candidate = name;
    const auto dot = name.find_last_of('.');
    const std::string stem = dot == std::string::npos ? name : name.substr(0, dot);
    const std::string ext = dot == std::string::npos ? "" : name.substr(dot);
    for (int n = 2; used.count(candidate) != 0; ++n) candidate = stem + "-" + std::to_string(n) + ext;
    used.insert(candidate);
    out.push_back(candidate);
  }
  return out;
}

}  // namespace kmq::serve
