#include "api_answers.hpp"

#include <new>

#include "image_work.hpp"
#include "kmq/error.hpp"
#include "work_queue.hpp"

namespace kmq::serve {
namespace {

int status_for(error_kind kind) {
  switch (kind) {
    case error_kind::invalid_argument: return 400;
    case error_kind::input_unreadable:
    case error_kind::bad_input:
    case error_kind::quality_not_met: return 422;
    case error_kind::cancelled: return 409;
    case error_kind::backend_unavailable:
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
    case error_kind::out_of_memory: return "out_of_memory";
    case error_kind::output_failed:
    case error_kind::internal: break;
  }
  return "internal";
}

}  // namespace

void send_json(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& kind, const std::string& reason) {
  send_json(res, {{"error", reason}, {"kind", kind}}, status);
}

void answer_current_exception(httplib::Response& res) {
  try {
    throw;
  } catch (const http_error& e) {
    send_error(res, e.status, e.kind, e.what());
  } catch (const busy_error&) {
    res.set_header("Retry-After", "1");
    send_error(res, 503, "busy", "busy");
  } catch (const superseded_error& e) {
    send_error(res, 409, "superseded", e.what());
  } catch (const stopping_error& e) {
    send_error(res, 503, "stopping", e.what());
  } catch (const error& e) {
    send_error(res, status_for(e.kind()), kind_of(e.kind()),
               e.kind() == error_kind::cancelled ? "superseded by a newer request for this image" : e.describe());
  } catch (const std::bad_alloc&) {
    send_error(res, 503, "out_of_memory", "out of memory");
  } catch (const std::exception& e) {
    send_error(res, 500, "internal", std::string("internal error: ") + e.what());
  }
}

}  // namespace kmq::serve
