// The HTTP API of kmq serve (see the README, "kmq serve"): uploads, previews,
// full results, the error against K, downloads, the zip of several images,
// and the embedded page.
// Every handler answers JSON errors {"error": reason, "kind": kind}.
#pragma once
#include <atomic>
#include <string>

#include <httplib.h>

#include "api_answers.hpp"
#include "image_store.hpp"
#include "image_work.hpp"
#include "kmq/serve/server.hpp"
#include "work_queue.hpp"

namespace kmq::serve {

struct api_context {
  const server_options& options;
  engines& pool;
  image_store& store;
  work_queue& queue;   // previews, results, downloads, uploads
  work_queue& curves;  // error-against-K curves, which take seconds: they hold up none of the above
  std::atomic<std::uint64_t> next_id{1};
};

// The Content-Security-Policy of the page and of every API answer: nothing
// from outside, no inline code.
extern const char* const page_policy;
// Of the report (inline style, script and data: images, as --report writes it; still nothing from outside).
extern const char* const report_policy;

void add_api_routes(httplib::Server& http, api_context& context);
void add_page_routes(httplib::Server& http);

// The methods the API answers at path ("GET", "POST", "DELETE", comma-separated
// as an Allow header has them), or empty where path is none of its routes.
std::string allowed_methods(const std::string& path);

// 405 with the Allow header, where req asks one of the API's routes with a
// method it does not answer; false (nothing sent) elsewhere.
bool answered_method_not_allowed(const httplib::Request& req, httplib::Response& res);

}  // namespace kmq::serve
