// kmq-serve: the web page of kmq (`kmq serve` execs this). Parses the
// options, prints the URL, serves until SIGINT or SIGTERM (then exits 0).
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <cxxopts.hpp>

#include "environment_check.hpp"
#include "exit_codes.hpp"
#include "kmq/error.hpp"
#include "kmq/serve/server.hpp"

namespace {

using namespace kmq::cli;  // the exit codes, one enum for kmq and kmq-serve

std::uint64_t whole(const cxxopts::ParseResult& parsed, const std::string& name, std::uint64_t low, std::uint64_t high) {
  const std::string text = parsed[name].as<std::string>();
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || errno == ERANGE || value < low ||
      value > high) {
    throw kmq::error(kmq::error_kind::invalid_argument, "--" + name + ": '" + text + "' is not a whole number from " +
                                                            std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

// glibc gives each thread that allocates an arena of its own, up to eight per
// core, and keeps what a job freed in each: a job's transient buffers (its
// copy of the pixels, label map, histogram) stayed resident in several at
// once. Four arenas a worker: two measured 10 ms slower per preview on two
// cores (the jobs' threads and the HTTP threads wait on each other's locks),
// four as fast as glibc's default (bench/serve_latency.py, 12 MP, with
// work_queue's trim: peak 361-383 -> 262-268 MiB; README). MALLOC_ARENA_MAX
// set by the user wins.
void limit_malloc_arenas(int workers) {
#ifdef M_ARENA_MAX  // glibc's
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  ::mallopt(M_ARENA_MAX, 4 * workers);
#else
  (void)workers;
#endif
}

// Opens the page in the desktop's browser when xdg-open is there; else the URL printed is enough.
void open_browser(const std::string& url) {
  if (::access("/usr/bin/xdg-open", X_OK) != 0) {
    std::cerr << "kmq serve: --open: no xdg-open here; open " << url << " yourself\n";
    return;
  }
  // Double fork: the grandchild is init's to reap, so no zombie is left; it
  // gets an empty signal mask, not the blocked SIGINT/SIGTERM of this process.
  const pid_t child = ::fork();
  if (child == 0) {
    if (::fork() == 0) {
      sigset_t none;
      sigemptyset(&none);
      pthread_sigmask(SIG_SETMASK, &none, nullptr);
      ::execl("/usr/bin/xdg-open", "xdg-open", url.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::_exit(0);
  }
  if (child > 0) ::waitpid(child, nullptr, 0);
}

int run(int argc, char** argv) {
  cxxopts::Options options("kmq serve", "The interactive page: upload images, move K, download the results.");
  auto text = [] { return cxxopts::value<std::string>(); };
  options.add_options()
    ("port", "TCP port; 0 picks a free one (printed)", text()->default_value("8080"), "N")
    ("bind", "address to listen on; anything but loopback is reachable by others (a warning says so)",
     text()->default_value("127.0.0.1"), "ADDRESS")
    ("open", "open the page in the browser (xdg-open)")
    ("backend", "auto, cpu or cuda", text()->default_value("auto"), "NAME")
    ("threads", "CPU threads per job, 0 = all cores", text()->default_value("0"), "N")
    ("workers", "jobs at once", text()->default_value("1"), "N")
    ("queue", "jobs waiting beyond those; more get 503 busy", text()->default_value("8"), "N")
    ("max-file-size", "largest upload in bytes (as kmq compress --max-file-size)",
     text()->default_value(std::to_string(kmq::io::default_max_file_bytes)), "BYTES")
    ("max-pixels", "refuse images with more pixels, from their header",
     text()->default_value(std::to_string(kmq::io::default_max_pixels)), "N")
    ("cache-mb", "memory bound of the images kept (MiB); the least recently used go first",
     text()->default_value(std::to_string(kmq::serve::default_cache_mb)), "MB")
    ("page-grace", "seconds a closed page's images are kept for a reload or Back to it (0: removed at once)",
     text()->default_value("60"), "SECONDS")
    ("h,help", "this help");
  const cxxopts::ParseResult parsed = options.parse(argc, argv);
  if (parsed.count("help")) {
    std::cout << options.help();
    return exit_ok;
  }
  if (!parsed.unmatched().empty()) {
    throw kmq::error(kmq::error_kind::invalid_argument, "unexpected argument '" + parsed.unmatched().front() + "'");
  }
  kmq::serve::server_options o;
  o.port = static_cast<int>(whole(parsed, "port", 0, 65535));
  o.bind = parsed["bind"].as<std::string>();
  o.backend = kmq::parse_backend_choice(parsed["backend"].as<std::string>());
  o.threads = static_cast<int>(whole(parsed, "threads", 0, 4096));
  o.workers = static_cast<int>(whole(parsed, "workers", 1, 256));
  o.queue = static_cast<int>(whole(parsed, "queue", 1, 4096));
  o.limits.max_file_bytes = whole(parsed, "max-file-size", 1, ~std::uint64_t{0});
  o.limits.max_pixels = whole(parsed, "max-pixels", 1, 0xffffffffull);
  o.cache_mb = whole(parsed, "cache-mb", 1, std::uint64_t{1} << 40);
  o.page_grace_seconds = static_cast<int>(whole(parsed, "page-grace", 0, 86400));
  limit_malloc_arenas(o.workers);  // before any thread starts

  // SIGINT/SIGTERM wait for one thread, which stops the server: no handler
  // runs inside the server's threads, which all inherit the blocked mask.
  // A shell starting us in the background may have set them to be ignored.
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  kmq::serve::server server(o);
  server.bind();
  if (!kmq::serve::is_loopback(o.bind)) {
    std::cerr << "kmq serve: warning: listening on " << o.bind
              << ", reachable from other machines; kmq serve has no authentication\n";
  }
  std::cout << "kmq serve: " << server.url() << " (backend " << server.backend_name() << ", upload limit "
            << o.limits.max_file_bytes << " bytes, cache " << o.cache_mb << " MiB; Ctrl-C stops)" << std::endl;
  if (parsed.count("open")) open_browser(server.url());

  // A signal may come before run() listens: stop() is repeated until run() returns.
  std::atomic<bool> returned{false};
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    while (!returned) {
      server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  server.run();
  returned = true;
  // run() returns after stop(); a failed listen ends it too: wake the waiter then.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  std::cerr << "kmq serve: stopped\n";
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  kmq::cli::warn_about_environment("kmq serve");
  try {
    return run(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "kmq serve: " << e.what() << "\nRun 'kmq serve --help' for the options.\n";
    return exit_usage;
  } catch (const kmq::error& e) {
    std::cerr << "kmq serve: " << e.describe() << '\n';
    return exit_code_for(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "kmq serve: internal error: " << e.what() << '\n';
    return exit_internal;
  }
}
