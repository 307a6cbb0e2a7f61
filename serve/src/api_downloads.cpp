// The API's files: one image's downloads (the PNG, palettes, labels, the
// report) and the zip of several images' PNGs.
#include <algorithm>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api_answers.hpp"
#include "api_work.hpp"
#include "zip_archive.hpp"

namespace kmq::serve::routes {
namespace {

// RFC 6266: an ASCII filename for old clients ("_" for each byte beyond
// ASCII) and the UTF-8 one percent-encoded (RFC 8187) for the rest, so that a
// photo named in another script keeps its name when downloaded.
std::string content_disposition(const char* type, const std::string& filename) {
  std::string ascii, encoded;
  for (const char c : filename) {  // one "_" a character beyond ASCII (not a byte)
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x80 && b < 0xc0) continue;
    ascii += b >= 0x80 || c == '"' || c == '\\' ? '_' : c;
  }
  static const char hex[] = "0123456789ABCDEF";
  for (const char c : filename) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_') {
      encoded += c;
    } else {
      encoded += '%';
      encoded += hex[b >> 4];
      encoded += hex[b & 15];
    }
  }
  std::string value = std::string(type) + "; filename=\"" + ascii + "\"";
  if (ascii != filename) value += "; filename*=UTF-8''" + encoded;
  return value;
}

}  // namespace

void download_file(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const std::shared_ptr<prepared_image> image = find_image(context, req.matches[1]);
  const std::string what = req.matches[2];
  const params_t params = params_of(req);
  const request_settings settings = read_settings(params);
  const auto with_elbow = params.find("elbow");
  if (with_elbow != params.end() && with_elbow->second != "0" && with_elbow->second != "1") {
    throw http_error(400, "bad_request", "elbow: '" + with_elbow->second + "' is not 0 or 1");
  }
  const bool elbow_asked = with_elbow != params.end() && with_elbow->second == "1" && what == "report.html";
  const std::shared_ptr<const elbow_data> curve = elbow_asked ? elbow_of(context, image, {}, settings) : nullptr;
  const std::shared_ptr<const full_result> result = full(context, image, settings, 0, "download");
  download file = render_download(*image, *result, what, settings, curve.get());
  if (what == "report.html") {
    // Replaces the page's policy (a default header): the report is one file with inline code.
    res.headers.erase("Content-Security-Policy");
    res.set_header("Content-Security-Policy", report_policy);
  }
  const bool inline_view = req.get_param_value("inline") == "1";
  res.set_header("Content-Disposition", content_disposition(inline_view ? "inline" : "attachment", file.filename));
  res.set_content(std::move(file.body), file.content_type.c_str());
}

// More ids than any store holds (its images are at least a few bytes each)
// is a mistake, not a zip to look up.
constexpr std::size_t max_zip_ids = 4096;

void zip_all(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const request_settings settings = read_settings(params_of(req));
  // Each image once (a long list of one id would repeat its work and its
  // bytes), and every one still stored: the missing ones are named, so that
  // a page can drop them from its list and ask again.
  std::vector<std::string> ids;
  std::stringstream list(req.get_param_value("ids"));
  for (std::string id; std::getline(list, id, ',');) {
    if (id.empty() || std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
    if (ids.size() >= max_zip_ids) throw http_error(400, "bad_request", "ids: more than " + std::to_string(max_zip_ids));
    ids.push_back(id);
  }
  if (ids.empty()) throw http_error(400, "bad_request", "ids: name at least one image");
  std::vector<std::shared_ptr<prepared_image>> images;
  std::vector<std::string> names;
  nlohmann::json missing = nlohmann::json::array();
  for (const std::string& id : ids) {
    std::shared_ptr<prepared_image> image = context.store.find(id);
    if (!image) {
      missing.push_back(id);
      continue;
    }
    images.push_back(std::move(image));
    names.push_back(output_name(images.back()->name));
  }
  const auto answer_missing = [&] {
    send_json(res,
              {{"error", std::to_string(missing.size()) + " of the " + std::to_string(ids.size()) +
                             " images are no longer here (deleted, evicted, or the server restarted): upload them again"},
               {"kind", "unknown_image"},
               {"ids", missing}},
              404);
  };
  if (!missing.empty()) {
    answer_missing();
    return;
  }
  names = distinct_names(names);
  // The zip is built in memory, outside the store: its PNGs together are held
  // to --cache-mb, checked as each result comes.
  std::vector<std::shared_ptr<const full_result>> results;
  std::uint64_t total = 0;
  for (const auto& image : images) {
    try {
      results.push_back(full(context, image, settings, 0, "zip"));
    } catch (const http_error& e) {
      if (e.status != 404) throw;
      missing.push_back(image->id);  // evicted or deleted while the zip was built: named as the others
      answer_missing();
      return;
    }
    total += results.back()->outcome.png.size();
    if (total > context.store.bound()) {
      throw http_error(413, "too_large", "the zip's images together exceed --cache-mb " +
                                             std::to_string(context.store.bound() >> 20) + ": download fewer at once");
    }
  }
  // The PNGs are read where the results hold them, not copied.
  std::vector<std::pair<std::string, std::string_view>> files;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto& png = results[i]->outcome.png;
    files.emplace_back(names[i], std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  }
  res.set_header("Content-Disposition", "attachment; filename=\"kmq-images.zip\"");
  res.set_content(make_zip(files), "application/zip");
}


}  // namespace kmq::serve::routes
