// kmq: K-means colour quantization to palette PNGs. Exit codes follow
// sysexits.h (see exit_codes.hpp and the README).
#include <cstring>
#include <string>
#include <iostream>
#include <new>

#include "batch_command.hpp"
#include "terminal_text.hpp"
#include "compress_command.hpp"
#include "environment_check.hpp"
#include "exit_codes.hpp"
#include "kmq/io/output_file.hpp"
#include "kmq/pipeline/shell_word.hpp"
#include "serve_command.hpp"
#include "version_command.hpp"

namespace {

const char* const usage =
    "usage: kmq compress INPUT -o OUTPUT.png [-k N] [options]\n"
    "       kmq compress INPUT... --out-dir DIR [-k N] [options]\n"
    "       kmq batch SRC... -d OUTDIR [-r] [--jobs N] [--manifest FILE.jsonl] [--skip-existing] [options]\n"
    "       kmq serve [--port 8080] [--bind 127.0.0.1] [--open] [options]   (the web page; kmq serve --help)\n"
    "       kmq --version | -V | version\n"
    "       kmq --help | -h | help | kmq compress --help | kmq batch --help\n";

// The command as a shell would take it back: what the report shows.
std::string shell_quoted(int argc, char** argv) {
  std::string line = "kmq";
  for (int i = 1; i < argc; ++i) line += " " + kmq::shell_word(argv[i]);
  return line;
}

int run(int argc, char** argv) {
  using namespace kmq::cli;
  if (argc < 2) {
    std::cerr << usage;
    return exit_usage;
  }
  const std::string command = argv[1];
  if (command == "--version" || command == "-V" || command == "version") {
    std::cout << version_text();
    return exit_ok;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << usage << "\nRun 'kmq compress --help' for every option.\n";
    return exit_ok;
  }
  if (command == "serve") return exec_serve(argc, argv);  // kmq-serve checks the environment itself
  warn_about_environment("kmq");
  if (command == "batch") {
    bool show_help = false;
    std::string help_text;
    try {
      const batch_settings settings = parse_batch_options(argc - 1, argv + 1, show_help, help_text);
      if (show_help) {
        std::cout << help_text;
        return exit_ok;
      }
      return run_batch(settings);
    } catch (const kmq::error& e) {
      if (e.kind() != kmq::error_kind::invalid_argument) throw;
      std::cerr << "kmq: " << terminal_text(e.describe()) << "\nRun 'kmq batch --help' for the options.\n";
      return exit_usage;
    }
  }
  if (command != "compress") {
    std::cerr << "kmq: unknown command '" << command << "'\n" << usage;
    return exit_usage;
  }
  bool show_help = false;
  std::string help_text;
  compress_settings settings = parse_compress_options(argc - 1, argv + 1, show_help, help_text);
  if (show_help) {
    std::cout << help_text;
    return exit_ok;
  }
  settings.command_line = shell_quoted(argc, argv);
  return run_compress(settings);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kmq::cli;
  // Before any thread starts: SIGINT/SIGTERM remove a named temporary output.
  kmq::io::install_interrupt_cleanup();
  try {
    return run(argc, argv);
  } catch (const kmq::error& e) {
    std::cerr << "kmq: " << terminal_text(e.describe()) << '\n';
    const exit_code code = exit_code_for(e.kind());
    if (code == exit_usage) std::cerr << "Run 'kmq compress --help' for the options.\n";
    return code;
  } catch (const std::bad_alloc&) {
    std::cerr << "kmq: out of memory\n";
    return exit_internal;
  } catch (const std::exception& e) {
    std::cerr << "kmq: internal error: " << e.what() << '\n';
    return exit_internal;
  }
}
