#include "kmq/serve/server.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>

#include "api_routes.hpp"
#include "kmq/error.hpp"

namespace kmq::serve {

struct server::impl {
  explicit impl(server_options o)
      : options(std::move(o)),
        pool(options.backend, options.threads),
        store(options.cache_mb << 20),
        queue(options.workers, options.queue, options.before_work),
        curves(1, curves_waiting, options.before_work),
        context{options, pool, store, queue, curves} {}

  // Error-against-K curves (seconds each): a lane of their own, one at a time.
  static constexpr int curves_waiting = 4;
  server_options options;
  engines pool;
  image_store store;
  work_queue queue;
  work_queue curves;
  api_context context;
  httplib::Server http;
  int port = -1;
  std::atomic<bool> stop_requested{false};
};

bool is_loopback(const std::string& address) {
  if (address == "localhost" || address == "::1") return true;
  in_addr v4{};
  return inet_pton(AF_INET, address.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

namespace {

std::string lower_media_type(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  type.erase(std::remove_if(type.begin(), type.end(), [](unsigned char c) { return std::isspace(c) != 0; }), type.end());
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return type;
}

}  // namespace

bool is_allowed_host(const std::string& host, const std::string& bind, int port) {
  const std::string suffix = ":" + std::to_string(port);
  const std::string shown_bind = bind.find(':') != std::string::npos ? "[" + bind + "]" : bind;
  for (const std::string& name : {std::string("127.0.0.1"), std::string("localhost"), std::string("[::1]"), shown_bind}) {
    if (host == name + suffix) return true;
  }
  return false;
}

server::server(server_options options) : impl_(std::make_unique<impl>(std::move(options))) {
  httplib::Server& http = impl_->http;
  // SO_REUSEADDR (a restart need not wait for old connections) but not
  // httplib's default SO_REUSEPORT, with which a second server would share a
  // port in use instead of failing to bind.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Every answer, errors and 404s included, forbids outside resources.
  http.set_default_headers({{"Content-Security-Policy", page_policy},
                            {"X-Content-Type-Options", "nosniff"},
                            {"Referrer-Policy", "no-referrer"},
                            {"Cache-Control", "no-store"}});
  // The upload limit is --max-file-size: larger bodies get 413 before they are read.
  http.set_payload_max_length(impl_->options.limits.max_file_bytes);
  // Before any body is read: requests a browser could send from another site
  // (DNS rebinding: a foreign Host; cross-site writes: a foreign Origin, or a
  // body type a form or a CORS-simple fetch may send without asking first),
  // and chunked bodies, which httplib 0.11 would read whole past
  // set_payload_max_length.
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const server_options& o = impl_->options;
    const int port = impl_->port;
    const std::string host = req.get_header_value("Host");
    if (!is_allowed_host(host, o.bind, port)) {
      send_error(res, 403, "forbidden_host",
                 "Host '" + host + "' is not this server's (use 127.0.0.1, localhost, [::1] or --bind's address, with the port)");
    } else if (req.has_header("Origin") && !(req.get_header_value("Origin").rfind("http://", 0) == 0 &&
                                               is_allowed_host(req.get_header_value("Origin").substr(7), o.bind, port))) {
      send_error(res, 403, "forbidden_origin", "requests from another site ('" + req.get_header_value("Origin") + "') are refused");
    } else if (req.has_header("Transfer-Encoding")) {
      send_error(res, 411, "length_required", "chunked bodies are refused: send a Content-Length");
    } else {
      const std::string type = lower_media_type(req.get_header_value("Content-Type"));
      if (req.method != "GET" && req.method != "HEAD" &&
          (type == "text/plain" || type == "application/x-www-form-urlencoded" || type == "multipart/form-data")) {
        send_error(res, 415, "unsupported_type", "a body of type " + type +
                                                     " is refused (a form could send it from another site): send the "
                                                     "file's bytes as application/octet-stream or its image type");
      } else {
        return httplib::Server::HandlerResponse::Unhandled;
      }
    }
    // The body, if any, is left unread: the connection cannot carry another request.
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  const std::uint64_t max_file_bytes = impl_->options.limits.max_file_bytes;
  http.set_error_handler([max_file_bytes](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    // A route asked with a method it does not answer: 405 and what it does.
    if ((res.status == 404 || res.status == 400) && answered_method_not_allowed(req, res)) return;
    if (res.status == 413) {
      const std::string name = req.has_param("name") ? req.get_param_value("name") + ": " : std::string();
      send_error(res, 413, "too_large",
                 name + "the upload is larger than --max-file-size (" + std::to_string(max_file_bytes) + " bytes)");
    } else if (res.status == 404) {
      send_error(res, 404, "not_found", "no such page: " + req.path);
    } else {
      send_error(res, res.status, "http", "HTTP error " + std::to_string(res.status));
    }
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "internal", "internal error");
  });
  // Enough connection threads for every worker and queue place, plus a few
  // for the page's files and the busy answers: the queue's bound, not
  // httplib's own unbounded backlog, decides who waits.
  const std::size_t connections =
      static_cast<std::size_t>(impl_->options.workers + impl_->options.queue + 1 + impl::curves_waiting) + 4;
  http.new_task_queue = [connections] { return new httplib::ThreadPool(connections); };
  add_api_routes(http, impl_->context);
  add_page_routes(http);
}

server::~server() { stop(); }

int server::bind() {
  const server_options& o = impl_->options;
  int bound = -1;
  if (o.port == 0) {
    bound = impl_->http.bind_to_any_port(o.bind);
  } else {
    bound = impl_->http.bind_to_port(o.bind, o.port) ? o.port : -1;
  }
  if (bound < 0) {
    throw error(error_kind::output_failed, o.bind + ":" + std::to_string(o.port),
                "cannot listen there (in use, or not an address of this machine)");
  }
  impl_->port = bound;
  return bound;
}

void server::run() {
  if (!impl_->stop_requested) impl_->http.listen_after_bind();
}

void server::stop() {
  impl_->stop_requested = true;
  // The running jobs first: httplib's stop waits for their requests.
  impl_->queue.stop();
  impl_->curves.stop();
  if (impl_->http.is_running()) impl_->http.stop();
}

int server::port() const { return impl_->port; }

std::string server::url() const {
  const std::string& host = impl_->options.bind;
  const std::string shown = host == "0.0.0.0" ? "127.0.0.1" : host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "http://" + shown + ":" + std::to_string(impl_->port) + "/";
}

std::string server::backend_name() const { return impl_->pool.name(); }

std::size_t server::queued() const { return impl_->queue.waiting(); }

std::size_t server::curves_queued() const { return impl_->curves.waiting(); }

}  // namespace kmq::serve
