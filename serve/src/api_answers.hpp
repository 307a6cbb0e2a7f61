// How kmq serve's API answers: JSON bodies, large bodies without a copy, and
// every failure as {"error": reason, "kind": kind} with its status (the one
// place kmq::error kinds become HTTP answers).
#pragma once
#include <memory>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace kmq::serve {

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);

// {"error": reason, "kind": kind} with status.
void send_error(httplib::Response& res, int status, const std::string& kind, const std::string& reason);

// Large bodies (a 12-megapixel label map, the decoded pixels) are handed to
// httplib without the copy set_content() makes: held by the provider until sent.
template <typename Bytes>
void send_bytes(httplib::Response& res, std::shared_ptr<const Bytes> bytes, const char* data, std::size_t size,
                const char* type) {
  res.set_content_provider(size, type, [bytes, data](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
    return sink.write(data + offset, length);
  });
}

// Answers the exception being handled (call inside a catch): http_error with
// its status, busy 503 with Retry-After, superseded 409, kmq::error by its
// kind, out of memory 503, anything else 500.
void answer_current_exception(httplib::Response& res);

// Runs a handler's body and answers its failure as JSON; nothing escapes to httplib.
template <typename Fn>
void guarded(httplib::Response& res, Fn&& fn) {
  try {
    fn();
  } catch (...) {
    answer_current_exception(res);
  }
}

}  // namespace kmq::serve
