#include "api_routes.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "api_answers.hpp"
#include "api_work.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_header.hpp"
#include "page_assets.hpp"

namespace kmq::serve {

const char* const page_policy =
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";
const char* const report_policy =
    "default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

namespace routes {

const char* const image_path = "/api/images/([0-9a-f]{16}-[0-9a-f]{16})";

// Fixed-width fields, so that no two (counter, random) pairs print alike: the
// counter keeps ids of one run apart, 64 random bits those of runs before.
std::string new_id(api_context& context) {
  static thread_local std::mt19937_64 random{(std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()};
  char id[40];
  std::snprintf(id, sizeof id, "%016llx-%016llx", static_cast<unsigned long long>(context.next_id.fetch_add(1)),
                static_cast<unsigned long long>(random()));
  return id;
}

std::shared_ptr<prepared_image> find_image(api_context& context, const std::string& id) {
  std::shared_ptr<prepared_image> image = context.store.find(id);
  if (!image) throw http_error(404, "unknown_image", "no image " + id + " here (evicted, or the server restarted): upload it again");
  return image;
}

// Work on one image, on a queue: it stops once the image is deleted or
// evicted, waiting (it starts as a 404) or running (cancelled at its next
// stage or pass, then a 404), so a deleted image's work holds up no other.
void run_on_image(work_queue& queue, const char* what, const std::string& lane, std::uint64_t seq,
                  const std::shared_ptr<prepared_image>& image,
                  const std::function<void(const work_queue::still_wanted&)>& work) {
  const auto gone = [&] {
    return http_error(404, "unknown_image", "image " + image->id + " was deleted or evicted while its " + what + " was being made");
  };
  try {
    queue.run(what, lane, seq, [&](const work_queue::still_wanted& wanted) {
      if (image->gone) throw gone();
      work([&] { return wanted() && !image->gone; });
    });
  } catch (const error& e) {
    if (e.kind() == error_kind::cancelled && image->gone) throw gone();
    throw;
  }
}

// Each parameter once: "k=4&k=5" is a mistake to name, not one to resolve
// silently (the command line's last-wins has no counterpart in a URL). The
// names are counted in the query as sent too: httplib keeps one of two
// identical pairs ("k=4&k=4").
params_t params_of(const httplib::Request& req) {
  params_t params;
  for (const auto& [name, value] : req.params) {
    if (params.count(name) != 0) throw http_error(400, "bad_request", name + " is given more than once");
    params.emplace(name, value);
  }
  const auto query = req.target.find('?');
  if (query != std::string::npos) {
    std::map<std::string, int> seen;
    std::stringstream pairs(req.target.substr(query + 1));
    for (std::string pair; std::getline(pairs, pair, '&');) {
      const std::string name = pair.substr(0, pair.find('='));
      if (!name.empty() && ++seen[name] > 1) throw http_error(400, "bad_request", name + " is given more than once");
    }
  }
  return params;
}

nlohmann::json image_json(const prepared_image& image) {
  return {{"id", image.id},
          {"name", image.name},
          {"width", image.image.width},
          {"height", image.image.height},
          {"has_alpha", image.image.has_alpha},
          {"input_bytes", image.upload->size()},
          {"distinct_colors", image.colors.distinct_colors()},
          {"seconds", image.prepare_seconds}};
}

// A page names itself (page=) with 1 to 32 lower-case letters and digits.
const std::string& page_name(const std::string& name) {
  if (name.empty() || name.size() > 32 || name.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") != std::string::npos)
    throw http_error(400, "bad_request", "page: '" + name + "' is not 1 to 32 lower-case letters and digits");
  return name;
}

// The load of the page that sent a request (instance=), checked as a page
// name; empty when none was given.
std::string page_instance(const httplib::Request& req) {
  return req.has_param("instance") ? page_name(req.get_param_value("instance")) : std::string();
}

// Ids the store evicted lose their sequence numbers in the queue too.
void forget_evicted(api_context& context) {
  for (const std::string& id : context.store.take_evicted()) context.queue.forget(id);
}

void upload(api_context& context, const httplib::Request& req, httplib::Response& res) {
  std::string name = req.get_param_value("name");
  if (name.empty()) name = "upload";
  const std::uint64_t limit = context.options.limits.max_file_bytes;
  if (req.body.size() > limit) {
    throw http_error(413, "too_large", name + ": " + std::to_string(req.body.size()) +
                                           " bytes is more than --max-file-size " + std::to_string(limit));
  }
  auto bytes = std::make_shared<const std::vector<std::uint8_t>>(req.body.begin(), req.body.end());
  // What the image will hold, from its header, before anything is decoded.
  const io::image_header header = io::sniff_image_header(bytes->data(), bytes->size());
  const std::uint64_t needed = bytes->size() + 8 * header.pixel_count();
  if (needed > context.store.bound()) {
    throw http_error(413, "too_large", name + ": needs about " + std::to_string(needed >> 20) +
                                           " MiB, more than --cache-mb " + std::to_string(context.store.bound() >> 20));
  }
  const std::string page = req.has_param("page") ? page_name(req.get_param_value("page")) : std::string();
  std::shared_ptr<prepared_image> image;
  const std::string id = new_id(context);
  context.queue.run("upload", "", 0, [&](const work_queue::still_wanted&) {
    image = prepare_upload(id, name, bytes, context.options.limits, context.pool);
  });
  image->page = page;
  if (!context.store.add(image, page_instance(req)))
    throw http_error(410, "page_closed", name + ": the page that sent it was closed or reloaded meanwhile");
  forget_evicted(context);
  send_json(res, image_json(*image));
}

// The page is going (pagehide): its images go after --page-grace (at once
// with 0), with any upload of its still on the way, rather than when the LRU
// evicts them. A reload or Back within the grace asks for them again (below).
void close_page(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const int grace = context.options.page_grace_seconds;
  const std::size_t removed =
      context.store.close_page(page_name(req.matches[1]), page_instance(req), std::chrono::seconds(grace));
  forget_evicted(context);
  send_json(res, {{"removed", removed}, {"kept_seconds", grace}});
}

// The page is back (its name is kept per tab), as a new load (instance=):
// its close is undone and its images still held are listed as their uploads
// answered, oldest first. (The page numbers its requests on from the time it
// loaded, above any number of its earlier loads.)
void page_images(api_context& context, const httplib::Request& req, httplib::Response& res) {
  nlohmann::json images = nlohmann::json::array();
  for (const auto& image : context.store.reopen_page(page_name(req.matches[1]), page_instance(req))) {
    images.push_back(image_json(*image));
  }
  forget_evicted(context);
  send_json(res, {{"images", images}});
}

void preview(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const std::shared_ptr<prepared_image> image = find_image(context, req.matches[1]);
  const params_t params = params_of(req);
  const request_settings settings = read_settings(params);
  const std::uint64_t seq = read_sequence(params);
  preview_data data;
  run_on_image(context.queue, "preview", image->id, seq, image, [&](const work_queue::still_wanted& wanted) {
    const std::lock_guard<std::mutex> lock(image->busy);
    data = make_preview(*image, settings, context.pool, wanted);
  });
  data.stats["seq"] = seq;
  // [u32 LE length][JSON][palette: 4 bytes RGBA per entry][labels: 1 byte per pixel]
  const std::string stats = data.stats.dump();
  std::string body;
  body.reserve(4 + stats.size() + 4 * data.palette.size() + data.labels.size());
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>((stats.size() >> (8 * i)) & 0xff));
  body += stats;
  for (packed_rgba c : data.palette) {
    for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>((c >> (8 * i)) & 0xff));
  }
  body.append(reinterpret_cast<const char*>(data.labels.data()), data.labels.size());
  auto held = std::make_shared<const std::string>(std::move(body));
  send_bytes(res, held, held->data(), held->size(), "application/octet-stream");
}

std::shared_ptr<const full_result> full(api_context& context, const std::shared_ptr<prepared_image>& image,
                                        const request_settings& settings, std::uint64_t seq, const char* what) {
  std::shared_ptr<const full_result> result;
  run_on_image(context.queue, what, image->id, seq, image, [&](const work_queue::still_wanted& wanted) {
    const std::lock_guard<std::mutex> lock(image->busy);
    result = make_full_result(*image, settings, context.pool, wanted);
  });
  context.store.trim();
  forget_evicted(context);
  return result;
}

void result(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const std::shared_ptr<prepared_image> image = find_image(context, req.matches[1]);
  const params_t params = params_of(req);
  const request_settings settings = read_settings(params);
  const std::uint64_t seq = read_sequence(params);
  nlohmann::json j = result_json(*full(context, image, settings, seq, "result"));
  j["id"] = image->id;
  j["seq"] = seq;
  j["command"] = settings.command_line(image->name);
  send_json(res, j);
}

// On the curves' own lane, so previews never wait behind one. A page names
// itself (page=ID) and numbers its curve requests (seq=N): its newer request,
// for whichever image, supersedes its older ones (it wants the curve of the
// image on screen only). Without page=, a request is superseded by nothing.
std::shared_ptr<const elbow_data> elbow_of(api_context& context, const std::shared_ptr<prepared_image>& image,
                                           const params_t& params, const request_settings& settings) {
  std::string lane;
  std::uint64_t seq = 0;
  const auto page = params.find("page");
  if (page != params.end()) {
    lane = "page " + page_name(page->second);
    seq = read_sequence(params);
  }
  std::shared_ptr<const elbow_data> curve;
  run_on_image(context.curves, "elbow", lane, seq, image, [&](const work_queue::still_wanted& wanted) {
    curve = make_elbow(*image, settings, context.pool, wanted);
  });
  return curve;
}

void elbow(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const std::shared_ptr<prepared_image> image = find_image(context, req.matches[1]);
  const params_t params = params_of(req);
  const request_settings settings = read_settings(params);
  nlohmann::json j = elbow_json(*image, *elbow_of(context, image, params, settings));
  j["id"] = image->id;
  j["command"] = settings.command_line(image->name) + " --elbow --json";
  send_json(res, j);
}

void original(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const std::shared_ptr<prepared_image> image = find_image(context, req.matches[1]);
  const auto& pixels = image->image.pixels;
  // RGBA bytes, row-major: packed_rgba holds R in its low byte. The image is
  // held until sent, even if evicted meanwhile.
  send_bytes(res, std::shared_ptr<const prepared_image>(image), reinterpret_cast<const char*>(pixels.data()),
             pixels.size() * 4, "application/octet-stream");
}

void remove_image(api_context& context, const httplib::Request& req, httplib::Response& res) {
  if (!context.store.remove(req.matches[1])) throw http_error(404, "unknown_image", "no image " + std::string(req.matches[1]));
  forget_evicted(context);
  res.status = 204;
}

void status(api_context& context, const httplib::Request&, httplib::Response& res) {
  send_json(res, {{"backend", context.pool.name()},
                  {"memory_bytes", context.store.memory()},
                  {"cache_bytes", context.store.bound()},
                  {"workers", context.options.workers},
                  {"queue", context.options.queue},
                  {"waiting", context.queue.waiting()},
                  {"max_file_size", context.options.limits.max_file_bytes},
                  {"max_pixels", context.options.limits.max_pixels}});
}

// The API in one table: registered with httplib from it, and read by the 405
// answer, so the two cannot drift apart.
struct api_route {
  const char* method;
  std::string pattern;
  void (*handler)(api_context&, const httplib::Request&, httplib::Response&);
};

const std::vector<api_route>& api_route_table() {
  const std::string image = image_path;
  static const std::vector<api_route> table = {
      {"POST", "/api/images", upload},
      {"GET", image + "/preview", preview},
      {"GET", image + "/result", result},
      {"GET", image + "/elbow", elbow},
      {"GET", image + "/download/(png|gpl|palette\\.json|palette\\.png|labels\\.png|report\\.html)", download_file},
      {"GET", image + "/original", original},
      {"DELETE", image, remove_image},
      {"GET", "/api/zip", zip_all},
      {"GET", "/api/status", status},
      {"POST", "/api/pages/([^/]*)/close", close_page},
      {"GET", "/api/pages/([^/]*)/images", page_images},
  };
  return table;
}

}  // namespace routes

using namespace routes;

void add_api_routes(httplib::Server& http, api_context& context) {
  for (const api_route& r : api_route_table()) {
    const auto handler = [&context, fn = r.handler](const httplib::Request& req, httplib::Response& res) {
      // Closed pages whose grace has passed go at any request.
      context.store.expire();
      forget_evicted(context);
      guarded(res, [&] { fn(context, req, res); });
    };
    const std::string method = r.method;
    if (method == "GET") http.Get(r.pattern, handler);
    else if (method == "POST") http.Post(r.pattern, handler);
    else if (method == "DELETE") http.Delete(r.pattern, handler);
  }
}

std::string allowed_methods(const std::string& path) {
  static const std::vector<std::pair<std::regex, const char*>> patterns = [] {
    std::vector<std::pair<std::regex, const char*>> out;
    for (const api_route& r : api_route_table()) out.emplace_back(std::regex(r.pattern), r.method);
    return out;
  }();
  // The page's own files answer GET alone.
  if (path == "/") return "GET";
  for (const page_asset& asset : page_assets()) {
    if (path == asset.path) return "GET";
  }
  std::string allow;
  for (const auto& [pattern, method] : patterns) {
    if (!std::regex_match(path, pattern) || allow.find(method) != std::string::npos) continue;
    allow += (allow.empty() ? "" : ", ") + std::string(method);
  }
  return allow;
}

bool answered_method_not_allowed(const httplib::Request& req, httplib::Response& res) {
  const std::string allow = allowed_methods(req.path);
  if (allow.empty() || (", " + allow + ",").find(", " + req.method + ",") != std::string::npos) return false;
  res.set_header("Allow", allow);
  send_error(res, 405, "method_not_allowed", req.path + " answers " + allow + ", not " + req.method);
  return true;
}

void add_page_routes(httplib::Server& http) {
  // Only the embedded table answers: a path is looked up, never opened.
  http.Get("/.*", [](const httplib::Request& req, httplib::Response& res) {
    const std::string path = req.path == "/" ? "/index.html" : req.path;
    for (const page_asset& asset : page_assets()) {
      if (path != asset.path) continue;
      const char* type = "application/octet-stream";
      const auto ends_with = [&](const char* ext) {
        return path.size() >= std::strlen(ext) && path.compare(path.size() - std::strlen(ext), std::strlen(ext), ext) == 0;
      };
      if (ends_with(".html")) type = "text/html; charset=utf-8";
      if (ends_with(".js")) type = "text/javascript; charset=utf-8";
      if (ends_with(".css")) type = "text/css; charset=utf-8";
      if (ends_with(".svg")) type = "image/svg+xml";
      res.set_content(std::string(reinterpret_cast<const char*>(asset.data), asset.size), type);
      return;
    }
    if (answered_method_not_allowed(req, res)) return;  // GET /api/images
    send_error(res, 404, "not_found", "no such page: " + req.path);
  });
}

}  // namespace kmq::serve
