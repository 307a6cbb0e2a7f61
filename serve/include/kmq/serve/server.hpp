// kmq serve: the interactive page over HTTP (cpp-httplib). One server object
// owns the prepared images (an LRU with a memory bound), a bounded work queue
// and the embedded page. Nothing is written to disk; no request path reaches
// the file system. The front-end's main (serve/main.cpp) parses options,
// prints the URL and stops the server on SIGINT/SIGTERM.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kmq/backend_select.hpp"
#include "kmq/io/image_decoder.hpp"

namespace kmq::serve {

constexpr std::uint64_t default_cache_mb = 1024;

struct server_options {
  std::string bind = "127.0.0.1";
  int port = 8080;                        // 0: any free port (see server::port())
  backend_choice backend = backend_choice::automatic;
  int threads = 0;                        // CPU threads per job, 0 = every core
  io::decode_limits limits;               // the upload limit is limits.max_file_bytes (--max-file-size)
  std::uint64_t cache_mb = default_cache_mb;  // memory bound of the prepared images
  int workers = 1;                        // jobs running at once
  int queue = 8;                          // jobs waiting beyond those; more: 503 busy
  // A closed page's images are kept this long (--page-grace): a reload, or
  // Back to the page, asks for them again and gets them; 0 removes them at once.
  int page_grace_seconds = 60;
  // Test hook: called by a worker before it starts an item (what: "upload",
  // "preview", ...). A test blocks here on a latch to hold the queue in a
  // known state; never set by kmq-serve.
  std::function<void(const std::string& what)> before_work;
};

class server {
 public:
  explicit server(server_options options);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds (throws kmq::error(output_failed) naming the address when it cannot)
  // and returns the port bound.
  int bind();
  // Serves until stop(); returns then. Call bind() first. A stop() before
  // run() makes run() return at once; one racing with run()'s start may be
  // missed by the listener, so a stopper repeats stop() until run() returns.
  void run();
  void stop();

  int port() const;
  std::string url() const;
  std::string backend_name() const;  // "cpu" or the GPU backend's name
  // Items waiting in the queue (not running): lets a test wait for a state
  // rather than sleep.
  std::size_t queued() const;
  std::size_t curves_queued() const;  // error-against-K curves waiting on their own lane

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Whether an address is loopback (127.0.0.0/8, ::1, localhost): others get a warning.
bool is_loopback(const std::string& address);
// Whether a Host header (or an Origin's host) names this server: 127.0.0.1,
// localhost, [::1] or the bound address, with the port. Others are refused
// (DNS rebinding: a foreign name resolving to us).
bool is_allowed_host(const std::string& host, const std::string& bind, int port);

}  // namespace kmq::serve
