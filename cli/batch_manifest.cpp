#include "batch_manifest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "job_plan.hpp"
#include "kmq/error.hpp"
#include "kmq/fnv_hash.hpp"
#include "kmq/output_revision.hpp"

namespace kmq::cli {

std::string params_string(const image_job& job) {
  const kmeans_params& k = job.quantize.kmeans;
  char tol[32];
  std::snprintf(tol, sizeof tol, "%.17g", k.tol);
  std::string text;
  if (job.quality) {
    char quality[64];
    std::snprintf(quality, sizeof quality, "quality=%.17g-%.17g", job.quality->min_psnr, job.quality->max_psnr);
    text = quality;
  } else {
    text = "k=" + std::to_string(k.k);
  }
  text += " seed=" + std::to_string(k.seed) + " max_iter=" + std::to_string(k.max_iter) + " tol=" + tol +
          " init=" + init_method_name(k.init) + " restarts=" + (k.restarts == 0 ? std::string("auto") : std::to_string(k.restarts)) +
          " dither=" + dither_method_name(job.remap.dither) + " png_level=" + std::to_string(job.png_level);
  // Named only when not the default (the strings of rgb runs kept their form when --space came).
  if (job.quantize.space != color_space::rgb) text += std::string(" space=") + color_space_name(job.quantize.space);
  // The same settings make other bytes in another revision of kmq: a resumed
  // run must not keep what an older kmq made.
  text += " output_revision=" + std::to_string(output_revision);
  return text;
}

std::string params_hash(const std::string& params) { return fnv1a_64_hex(params); }

bool stamp_of(const std::string& path, file_stamp& stamp) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return false;
  stamp.size = static_cast<std::uint64_t>(info.st_size);
  stamp.mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
  return true;
}

std::string path_id(const std::string& path) { return path.empty() ? std::string() : fnv1a_64_hex(resolved_path(path)); }

const manifest_entry* manifest_record::find(const std::string& input, const std::string& input_id,
                                            const std::string& output, const std::string& output_id) const {
  const auto by_path = by_id.find(input_id);
  if (by_path != by_id.end() && by_path->second.output_id == output_id) return &by_path->second;
  const auto by_text = by_name.find(as_json_text(input));
  return by_text != by_name.end() && by_text->second.output == as_json_text(output) ? &by_text->second : nullptr;
}

manifest_record read_manifest(const std::string& path) {
  manifest_record done;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    const auto text = [&](const char* key) {
      const auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string status = text("status");
    if (status != "ok" && status != "skipped_larger") continue;
    manifest_entry entry;
    entry.status = status;
    entry.output = text("output");
    entry.output_id = text("output_id");
    entry.params = text("params");
    if (j.contains("input_size") && j["input_size"].is_number_unsigned()) entry.input.size = j["input_size"].get<std::uint64_t>();
    if (j.contains("input_mtime_ns") && j["input_mtime_ns"].is_number_integer()) {
      entry.input.mtime_ns = j["input_mtime_ns"].get<std::int64_t>();
    }
    const std::string id = text("input_id");
    if (!id.empty()) done.by_id[id] = entry;
    done.by_name[text("input")] = entry;
  }
  return done;
}

manifest_writer::manifest_writer(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd_ < 0) throw error(error_kind::output_failed, path, std::string("cannot open manifest: ") + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd_, &info) == 0 && info.st_size > 0) {
    char last = '\n';
    if (::pread(fd_, &last, 1, info.st_size - 1) == 1 && last != '\n') {
      if (::write(fd_, "\n", 1) != 1) throw error(error_kind::output_failed, path, std::strerror(errno));
    }
  }
}

std::string json_line(const nlohmann::json& line) {
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string as_json_text(const std::string& name) {
  return nlohmann::json::parse(json_line(nlohmann::json(name))).get<std::string>();
}

manifest_writer::~manifest_writer() {
  if (fd_ >= 0) ::close(fd_);
}

void manifest_writer::append(const nlohmann::json& line) {
  if (fd_ < 0) return;
  const std::string text = json_line(line) + '\n';
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t wrote = ::write(fd_, text.data() + done, text.size() - done);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw error(error_kind::output_failed, path_, std::string("cannot write manifest: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(wrote);
  }
}

void manifest_writer::close() {
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;
  const bool synced = ::fsync(fd) == 0;
  const int saved = errno;
  if (::close(fd) != 0 || !synced) {
    throw error(error_kind::output_failed, path_, std::string("cannot write manifest: ") + std::strerror(saved));
  }
}

}  // namespace kmq::cli
