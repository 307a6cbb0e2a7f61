#include "batch_plan.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>
#include <system_error>

#include "job_plan.hpp"
#include "job_report.hpp"
#include "kmq/error.hpp"
#include "kmq/fnv_hash.hpp"
#include "kmq/io/output_file.hpp"

namespace fs = std::filesystem;

namespace kmq::cli {
namespace {

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool looks_like_image(const fs::path& path) {
  static const char* const known[] = {".png", ".jpg", ".jpeg", ".jpe", ".webp", ".tif", ".tiff", ".bmp"};
  const std::string ext = lower_extension(path);
  return std::find(std::begin(known), std::end(known), ext) != std::end(known);
}

bool hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

// Whether inner is root or below it (both canonical).
bool inside(const fs::path& inner, const fs::path& root) {
  auto i = inner.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++i) {
    if (i == inner.end() || *i != *r) return false;
  }
  return true;
}

// Whether a name below the base has a part starting with '.': a walk would
// never meet it (it leaves hidden files out and does not enter hidden folders).
bool hidden_below(const fs::path& relative) {
  for (const fs::path& part : relative) {
    const std::string name = part.string();
    if (name != "." && name != ".." && hidden(part)) return true;
  }
  return false;
}

struct walker {
  const plan_request& request;
  fs::path out_dir_canonical;  // empty when it does not exist yet
  batch_plan& plan;
  std::size_t source_index = 0;
  // With a list, each left-out name is counted once, however often the list
  // and its folders' walks meet it (FNV-1a of its resolved path: 8 bytes a
  // name). A walk alone meets each name once and needs no resolving.
  std::set<std::uint64_t> left_out_paths;

  void leave_out(std::uint64_t walk_counts::*count, const fs::path& path) {
    if (!request.listed || left_out_paths.insert(fnv1a_64(resolved_path(path.string()))).second) ++(plan.left_out.*count);
  }

  // A file met in a walk or in the list: an input, or counted and left out.
  void consider_file(const fs::path& path, const fs::path& relative, const fs::path& root_canonical) {
    std::error_code ec;
    if (hidden(path)) {
      leave_out(&walk_counts::hidden, path);
      return;
    }
    const fs::file_status link = fs::symlink_status(path, ec);
    if (fs::is_symlink(link)) {
      const fs::file_status target = fs::status(path, ec);
      if (ec || fs::is_directory(target)) {  // dangling, or a folder: never followed
        leave_out(&walk_counts::links_skipped, path);
        return;
      }
      const fs::path resolved = fs::canonical(path, ec);
      if (ec || !inside(resolved, root_canonical)) {
        leave_out(&walk_counts::links_skipped, path);
        return;
      }
    }
    if (!fs::exists(link)) {
      // Named in a list but missing: an input that fails (66) and says so.
      plan.inputs.push_back({path.string(), relative.generic_string(), "", ""});
      return;
    }
    if (!fs::is_regular_file(fs::status(path, ec))) {
      leave_out(&walk_counts::other, path);
      return;
    }
    if (!looks_like_image(path)) {
      leave_out(&walk_counts::not_image, path);
      return;
    }
    if (!io::kmq_output_origin(path.string()).empty()) {
      leave_out(&walk_counts::kmq_outputs, path);
      return;
    }
    plan.inputs.push_back({path.string(), relative.generic_string(), "", ""});
  }

  void walk(const fs::path& dir, const fs::path& relative, const fs::path& root_canonical, bool is_root) {
    std::error_code ec;
    std::vector<fs::directory_entry> entries;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) entries.push_back(*it);
    if (ec) {
      if (is_root) throw error(error_kind::input_unreadable, dir.string(), "cannot list folder: " + ec.message());
      plan.unlistable.emplace_back(dir.string(), "cannot list folder: " + ec.message());
      return;
    }
    for (const fs::directory_entry& entry : entries) {
      const fs::path name = entry.path().filename();
      const fs::file_status link = entry.symlink_status(ec);
      if (fs::is_directory(link)) {
        if (hidden(name)) {
          leave_out(&walk_counts::hidden, entry.path());
          continue;
        }
        if (!request.recursive) {
          leave_out(&walk_counts::other, entry.path());
          continue;
        }
        if (!out_dir_canonical.empty() && fs::equivalent(entry.path(), out_dir_canonical, ec)) continue;
        walk(entry.path(), relative / name, root_canonical, false);
        continue;
      }
      consider_file(entry.path(), relative / name, root_canonical);
    }
  }
};

// The path of entry below base, lexically; empty when it leaves base.
fs::path relative_below(const fs::path& base, const std::string& entry) {
  fs::path path(entry);
  fs::path relative;
  if (path.is_absolute()) {
    relative = path.lexically_normal().lexically_relative(fs::absolute(base).lexically_normal());
  } else {
    relative = path.lexically_normal();
  }
  if (relative.empty() || relative == "." || *relative.begin() == "..") return {};
  return relative;
}

// <name><suffix>.png, or where that is longer than a file system takes
// (255 bytes: a clash's full name plus ".png" can pass it), the name's first
// bytes, a hash of all of it and the suffix: every input still gets a name of
// its own, the same on every shard.
std::string fitting_name(const std::string& name, const std::string& suffix) {
  constexpr std::size_t most = 255;
  const std::string whole = name + suffix + ".png";
  if (whole.size() <= most) return whole;
  const std::string tail = "~" + fnv1a_64_hex(name) + suffix + ".png";
  std::size_t keep = most - tail.size();
  while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xc0) == 0x80) --keep;  // not inside a UTF-8 letter
  return name.substr(0, keep) + tail;
}

}  // namespace

batch_plan plan_batch(const plan_request& request) {
  batch_plan plan;
  if (request.out_dir.empty()) throw error(error_kind::invalid_argument, "give the output folder: -d/--out-dir OUTDIR");
  std::error_code ec;
  const fs::path out_dir_canonical = fs::exists(request.out_dir, ec) ? fs::canonical(request.out_dir, ec) : fs::path();
  walker w{request, out_dir_canonical, plan, 0, {}};
  if (request.listed) {
    if (request.sources.size() > 1) {
      throw error(error_kind::invalid_argument, "with --files-from give at most one SRC: the folder the names are below");
    }
    const fs::path base = request.sources.empty() ? fs::path(".") : fs::path(request.sources[0]);
    const fs::path base_canonical = fs::canonical(base, ec);
    if (ec) throw error(error_kind::input_unreadable, base.string(), ec.message());
    std::map<fs::path, bool> folder_without_links;  // by folder below the base
    for (const std::string& entry : *request.listed) {
      const fs::path relative = relative_below(base, entry);
      if (relative.empty()) {
        plan.inputs.push_back({entry, entry, "", "is not below " + base.string() + " (the base of --files-from)"});
        continue;
      }
      const fs::path path = request.sources.empty() ? relative : base / relative;
      if (hidden_below(relative)) {  // filtered as a walk's names are, in the folder too
        w.leave_out(&walk_counts::hidden, path);
        continue;
      }
      // A walk never follows a link to a folder, so a name reached through
      // one (lnk/x.png, lnk/sub) is left out as the link would be. Resolved
      // once a folder: a list names many files of each.
      const fs::path below = relative.parent_path();
      auto known = folder_without_links.find(below);
      if (known == folder_without_links.end()) {
        const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
        const fs::path expected = below.empty() ? base_canonical : (base_canonical / below).lexically_normal();
        known = folder_without_links.emplace(below, fs::weakly_canonical(fs::absolute(folder), ec) == expected).first;
      }
      if (!known->second) {
        w.leave_out(&walk_counts::links_skipped, path);
        continue;
      }
      if (fs::is_directory(fs::symlink_status(path, ec))) {
        w.walk(path, relative, base_canonical, false);
      } else {
        w.consider_file(path, relative, base_canonical);
      }
    }
  } else {
    if (request.sources.empty()) throw error(error_kind::invalid_argument, "no source (try: kmq batch photos/ -d out/)");
    for (const std::string& source : request.sources) {
      const fs::file_status status = fs::status(source, ec);
      if (ec || !fs::exists(status)) {
        throw error(error_kind::input_unreadable, source, ec ? ec.message() : "No such file or directory");
      }
      if (fs::is_directory(status)) {
        w.walk(source, fs::path(), fs::canonical(source, ec), true);
      } else {
        // A file named on the command line is an input, whatever its name.
        plan.inputs.push_back({source, fs::path(source).filename().string(), "", ""});
      }
      ++w.source_index;
    }
  }
  // The order every shard agrees on: by relative path (bytes), then input.
  std::stable_sort(plan.inputs.begin(), plan.inputs.end(), [](const batch_input& a, const batch_input& b) {
    return a.relative != b.relative ? a.relative < b.relative : a.input < b.input;
  });
  drop_repeated_inputs(plan.inputs);
  assign_outputs(plan.inputs, request.out_dir);
  return plan;
}

void drop_repeated_inputs(std::vector<batch_input>& inputs) {
  std::set<std::string> seen;
  inputs.erase(std::remove_if(inputs.begin(), inputs.end(),
                              [&](const batch_input& in) { return !seen.insert(resolved_path(in.input)).second; }),
               inputs.end());
}

void assign_outputs(std::vector<batch_input>& inputs, const std::string& out_dir) {
  std::set<std::string> taken;
  std::vector<std::size_t> order, waiting;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (lower_extension(inputs[i].relative) == ".png") order.push_back(i);
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (lower_extension(inputs[i].relative) != ".png") order.push_back(i);
  auto folder_of = [&](const batch_input& in) { return fs::path(out_dir) / fs::path(in.relative).parent_path(); };
  for (std::size_t i : order) {
    if (!inputs[i].refused.empty()) continue;
    const fs::path relative(inputs[i].relative);
    const std::string wanted = (folder_of(inputs[i]) / relative.stem()).string() + ".png";
    if (taken.insert(wanted).second) {
      inputs[i].output = wanted;
    } else {
      waiting.push_back(i);
    }
  }
  std::sort(waiting.begin(), waiting.end());  // list order
  for (std::size_t i : waiting) {
    const fs::path folder = folder_of(inputs[i]);
    const std::string name = fs::path(inputs[i].relative).filename().string();
    std::string wanted = (folder / fitting_name(name, "")).string();
    for (int n = 1; !taken.insert(wanted).second; ++n) {
      wanted = (folder / fitting_name(name, "." + std::to_string(n))).string();
    }
    inputs[i].output = wanted;
  }
}

std::vector<std::string> read_name_list(std::istream& in, bool nul_separated) {
  std::vector<std::string> names;
  std::string name;
  while (std::getline(in, name, nul_separated ? '\0' : '\n')) {
    if (!nul_separated && !name.empty() && name.back() == '\r') name.pop_back();
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

shard parse_shard(const std::string& text, std::optional<std::size_t> shard_count,
                  const std::function<const char*(const char*)>& getenv) {
  auto number = [](const std::string& flag, const char* value) -> std::size_t {
    return parse_whole_number(flag, value ? value : "", 0, 1u << 30);
  };
  shard s;
  if (text == "auto") {
    if (const char* id = getenv("SLURM_ARRAY_TASK_ID")) {
      const char* count = getenv("SLURM_ARRAY_TASK_COUNT");
      if (!count) throw error(error_kind::invalid_argument, "--shard auto: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT");
      const std::size_t task = number("SLURM_ARRAY_TASK_ID", id);
      const std::size_t min = getenv("SLURM_ARRAY_TASK_MIN") ? number("SLURM_ARRAY_TASK_MIN", getenv("SLURM_ARRAY_TASK_MIN")) : 0;
      const std::size_t step = getenv("SLURM_ARRAY_TASK_STEP") ? number("SLURM_ARRAY_TASK_STEP", getenv("SLURM_ARRAY_TASK_STEP")) : 1;
      if (task < min || step == 0) throw error(error_kind::invalid_argument, "--shard auto: SLURM_ARRAY_TASK_ID below SLURM_ARRAY_TASK_MIN");
      s.index = (task - min) / step;
      s.count = number("SLURM_ARRAY_TASK_COUNT", count);
    } else if (const char* index = getenv("JOB_COMPLETION_INDEX")) {
      if (!shard_count) throw error(error_kind::invalid_argument, "--shard auto with JOB_COMPLETION_INDEX needs --shard-count N (the Job's completions)");
      s.index = number("JOB_COMPLETION_INDEX", index);
      s.count = *shard_count;
    } else {
      throw error(error_kind::invalid_argument,
                  "--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set");
    }
  } else {
    const auto slash = text.find('/');
    if (slash == std::string::npos) throw error(error_kind::invalid_argument, "--shard: '" + text + "' is not I/N or auto");
    s.index = number("--shard", text.substr(0, slash).c_str());
    s.count = number("--shard", text.substr(slash + 1).c_str());
  }
  if (s.count == 0 || s.index >= s.count) {
    throw error(error_kind::invalid_argument, "--shard: index " + std::to_string(s.index) + " is not below the count " +
                                                  std::to_string(s.count));
  }
  return s;
}

std::vector<batch_input> take_shard(const std::vector<batch_input>& all, const shard& slice) {
  std::vector<batch_input> part;
  for (std::size_t i = slice.index; i < all.size(); i += slice.count) part.push_back(all[i]);
  return part;
}

void refuse_manifest_among_files(const std::string& manifest, const std::vector<batch_input>& inputs) {
  if (manifest.empty()) return;
  struct stat record {};
  const bool exists = ::stat(manifest.c_str(), &record) == 0;
  const fs::path name = fs::path(manifest).filename();
  for (const batch_input& in : inputs) {
    struct stat input {};
    if (exists && ::stat(in.input.c_str(), &input) == 0 && input.st_dev == record.st_dev && input.st_ino == record.st_ino) {
      throw error(error_kind::invalid_argument, manifest,
                  "--manifest is the input " + in.input + " (kmq never writes to an input; name another file)");
    }
    // The full check for outputs of the manifest's name alone (a link to an
    // output under another name is not caught: its lines go to the file the
    // PNG replaces, and no input is touched).
    if (fs::path(in.output).filename() == name && same_file(manifest, in.output)) {
      throw error(error_kind::invalid_argument, manifest,
                  "--manifest is the output of " + in.input + " (the PNG would replace it; name another file)");
    }
  }
}

}  // namespace kmq::cli
