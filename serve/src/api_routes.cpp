#include "api_routes.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <random>
#include <regex>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "kmq/error.hpp"
#include "kmq/io/image_header.hpp"
#include "page_assets.hpp"
#include "zip_archive.hpp"

namespace kmq::serve {

const char* const page_policy =
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";
const char* const report_policy =
    "default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

namespace {

using params_t = std::multimap<std::string, std::string>;
const char* const image_path = "/api/images/([0-9a-f]{16}-[0-9a-f]{16})";

// Large bodies (a 12-megapixel label map, the decoded pixels) are handed to
// httplib without the copy set_content() makes: held by the provider until sent.
template <typename Bytes>
void send_bytes(httplib::Response& res, std::shared_ptr<const Bytes> bytes, const char* data, std::size_t size,
                const char* type) {
  res.set_content_provider(size, type, [bytes, data](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
    return sink.write(data + offset, length);
  });
}

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// The one place kmq::error kinds become HTTP answers.
int status_for(error_kind kind) {
  switch (kind) {
    case error_kind::invalid_argument: return 400;
    case error_kind::input_unreadable:
    case error_kind::bad_input:
    case error_kind::quality_not_met: return 422;
    case error_kind::cancelled: return 409;
    case error_kind::backend_unavailable:
    case error_kind::decoder_unavailable:
    case error_kind::out_of_memory: return 503;
    case error_kind::output_failed:
    case error_kind::internal: break;
  }
  return 500;
}

const char* kind_of(error_kind kind) {
  switch (kind) {
    case error_kind::invalid_argument: return "bad_request";
    case error_kind::input_unreadable:
    case error_kind::bad_input: return "bad_input";
    case error_kind::quality_not_met: return "quality_not_met";
    case error_kind::cancelled: return "superseded";
    case error_kind::backend_unavailable: return "backend_unavailable";
    case error_kind::decoder_unavailable: return "decoder_unavailable";
    case error_kind::out_of_memory: return "out_of_memory";
    case error_kind::output_failed:
    case error_kind::internal: break;
  }
  return "internal";
}

// Runs a handler's body and answers its failure as JSON; nothing escapes to httplib.
template <typename Fn>
void guarded(httplib::Response& res, Fn&& fn) {
  try {
    fn();
  } catch (const http_error& e) {
    send_error(res, e.status, e.kind, e.what());
  } catch (const busy_error&) {
    res.set_header("Retry-After", "1");
    send_error(res, 503, "busy", "busy");
  } catch (const superseded_error& e) {
    send_error(res, 409, "superseded", e.what());
  } catch (const error& e) {
    send_error(res, status_for(e.kind()), kind_of(e.kind()),
               e.kind() == error_kind::cancelled ? "superseded by a newer request for this image" : e.describe());
  } catch (const std::bad_alloc&) {
    send_error(res, 503, "out_of_memory", "out of memory");
  } catch (const std::exception& e) {
    send_error(res, 500, "internal", std::string("internal error: ") + e.what());
  }
}

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

// Each parameter once: "k=4&k=5" is a mistake to name, not one to resolve
// silently (the command line's last-wins has no counterpart in a URL).
params_t params_of(const httplib::Request& req) {
  params_t params;
  for (const auto& [name, value] : req.params) {
    if (params.count(name) != 0) throw http_error(400, "bad_request", name + " is given more than once");
    params.emplace(name, value);
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
  std::shared_ptr<prepared_image> image;
  const std::string id = new_id(context);
  context.queue.run("upload", "", 0, [&](const work_queue::still_wanted&) {
    image = prepare_upload(id, name, bytes, context.options.limits, context.pool);
  });
  context.store.add(image);
  forget_evicted(context);
  send_json(res, image_json(*image));
}

void preview(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const std::shared_ptr<prepared_image> image = find_image(context, req.matches[1]);
  const params_t params = params_of(req);
  const request_settings settings = read_settings(params);
  const std::uint64_t seq = read_sequence(params);
  preview_data data;
  context.queue.run("preview", image->id, seq, [&](const work_queue::still_wanted& wanted) {
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
  context.queue.run(what, image->id, seq, [&](const work_queue::still_wanted& wanted) {
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

void download_file(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const std::shared_ptr<prepared_image> image = find_image(context, req.matches[1]);
  const std::string what = req.matches[2];
  const request_settings settings = read_settings(params_of(req));
  const std::shared_ptr<const full_result> result = full(context, image, settings, 0, "download");
  download file = render_download(*image, *result, what, settings);
  if (what == "report.html") {
    // Replaces the page's policy (a default header): the report is one file with inline code.
    res.headers.erase("Content-Security-Policy");
    res.set_header("Content-Security-Policy", report_policy);
  }
  const bool inline_view = req.get_param_value("inline") == "1";
  res.set_header("Content-Disposition",
                 std::string(inline_view ? "inline" : "attachment") + "; filename=\"" + file.filename + "\"");
  res.set_content(std::move(file.body), file.content_type.c_str());
}

void zip_all(api_context& context, const httplib::Request& req, httplib::Response& res) {
  const request_settings settings = read_settings(params_of(req));
  // Each image once, and no more images than are stored: a long list of one id
  // would otherwise repeat its work and its bytes.
  std::vector<std::string> ids;
  std::stringstream list(req.get_param_value("ids"));
  for (std::string id; std::getline(list, id, ',');) {
    if (id.empty() || std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
    if (ids.size() >= context.store.size()) {
      throw http_error(400, "bad_request", "ids: more images than are stored (" + std::to_string(context.store.size()) + ")");
    }
    ids.push_back(id);
  }
  if (ids.empty()) throw http_error(400, "bad_request", "ids: name at least one image");
  std::vector<std::shared_ptr<prepared_image>> images;
  std::vector<std::string> names;
  for (const std::string& id : ids) {
    images.push_back(find_image(context, id));
    names.push_back(output_name(images.back()->name));
  }
  names = distinct_names(names);
  // The zip is built in memory, outside the store: its PNGs together are held
  // to --cache-mb, checked as each result comes.
  std::vector<std::shared_ptr<const full_result>> results;
  std::uint64_t total = 0;
  for (const auto& image : images) {
    results.push_back(full(context, image, settings, 0, "zip"));
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

}  // namespace

void send_error(httplib::Response& res, int status, const std::string& kind, const std::string& reason) {
  send_json(res, {{"error", reason}, {"kind", kind}}, status);
}

void add_api_routes(httplib::Server& http, api_context& context) {
  auto route = [&context](void (*fn)(api_context&, const httplib::Request&, httplib::Response&)) {
    return [&context, fn](const httplib::Request& req, httplib::Response& res) {
      guarded(res, [&] { fn(context, req, res); });
    };
  };
  http.Post("/api/images", route(upload));
  http.Get(std::string(image_path) + "/preview", route(preview));
  http.Get(std::string(image_path) + "/result", route(result));
  http.Get(std::string(image_path) + "/download/(png|gpl|palette\\.json|palette\\.png|labels\\.png|report\\.html)",
           route(download_file));
  http.Get(std::string(image_path) + "/original", route([](api_context& c, const httplib::Request& req,
                                                          httplib::Response& res) {
             const std::shared_ptr<prepared_image> image = find_image(c, req.matches[1]);
             const auto& pixels = image->image.pixels;
             // RGBA bytes, row-major: packed_rgba holds R in its low byte. The
             // image is held until sent, even if evicted meanwhile.
             send_bytes(res, std::shared_ptr<const prepared_image>(image),
                        reinterpret_cast<const char*>(pixels.data()), pixels.size() * 4, "application/octet-stream");
           }));
  http.Delete(image_path, route([](api_context& c, const httplib::Request& req, httplib::Response& res) {
                if (!c.store.remove(req.matches[1])) throw http_error(404, "unknown_image", "no image " + std::string(req.matches[1]));
                forget_evicted(c);
                res.status = 204;
              }));
  http.Get("/api/zip", route(zip_all));
  http.Get("/api/status", route([](api_context& c, const httplib::Request&, httplib::Response& res) {
             send_json(res, {{"backend", c.pool.name()},
                             {"memory_bytes", c.store.memory()},
                             {"cache_bytes", c.store.bound()},
                             {"workers", c.options.workers},
                             {"queue", c.options.queue},
                             {"waiting", c.queue.waiting()},
                             {"max_file_size", c.options.limits.max_file_bytes},
                             {"max_pixels", c.options.limits.max_pixels}});
           }));
}

std::string allowed_methods(const std::string& path) {
  const std::string image = image_path;
  static const std::pair<std::regex, const char*> routes[] = {
      {std::regex("/api/images"), "POST"},
      {std::regex(image), "DELETE"},
      {std::regex(image + "/(preview|result|original|download/[^/]+)"), "GET"},
      {std::regex("/api/(zip|status)"), "GET"},
  };
  for (const auto& [pattern, methods] : routes) {
    if (std::regex_match(path, pattern)) return methods;
  }
  return {};
}

bool answered_method_not_allowed(const httplib::Request& req, httplib::Response& res) {
  const std::string allow = allowed_methods(req.path);
  if (allow.empty() || allow == req.method) return false;
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
