// Option parsing for `kmq compress`: every value is checked here, before any
// file is opened, so a typo costs nothing. The options that decide one
// image's work are shared with kmq batch (job_report.hpp); these are the
// ones of compress alone.
#include <cxxopts.hpp>

#include "compress_command.hpp"
#include "job_report.hpp"
#include "kmq/error.hpp"

namespace kmq::cli {
namespace {

const char* const help_epilogue = R"(
Inputs: PNG, JPEG, WebP, TIFF, BMP (a directory stands for the images directly in it).
INPUT may be - for standard input; -o - writes the PNG to standard output.

Examples:
  kmq compress photo.jpg -o photo.png                  16 colours
  kmq compress photo.jpg -o small.png -k 8 --force     8 colours, replace small.png
  kmq compress shots/ --out-dir out/ -k 64 --json      a directory, one JSON line per image
  kmq compress photo.jpg -o p.png --level balanced     the smallest K that reaches 35 dB
  kmq compress photo.jpg -o p.png --report proof.html --elbow --palette-out p.gpl
  cat photo.jpg | kmq compress - -o - -k 32 > out.png  a pipe

Exit codes: 0 ok, 64 usage, 65 bad or too large input, 66 input missing or
unreadable (or no image found), 69 --backend cuda without a device, 70
internal error, 73
output cannot be written or exists, 98 --skip-if-larger left -o - empty, 99
--quality minimum not reached (nothing written), 130 interrupted. With several
inputs, the first failure's code.
)";

cxxopts::Options make_options() {
  cxxopts::Options options("kmq compress",
                           "Quantize images to a palette of at most K colours (k-means) and write indexed PNGs.");
  options.custom_help("INPUT -o OUTPUT.png [options]  |  INPUT... --out-dir DIR [options]");
  options.positional_help("");
  auto text = [] { return cxxopts::value<std::string>(); };
  options.add_options()
    ("o,output", "output PNG, for exactly one input (- = standard output)", text(), "FILE")
    ("out-dir", "write DIR/<input name>.png for every input; directories are expanded to their images", text(), "DIR")
    ("palette-out", "also write the palette: .gpl (GIMP), .json or .png (swatches); one input", text(), "FILE")
    ("labels-out", "also write the label map in false colours, one colour per cluster (.png); one input", text(),
     "FILE")
    ("report", "also write ONE self-contained HTML page with the proof (previews, palette, WCSS, clusters); one input",
     text(), "FILE")
    ("skip-if-larger", "write nothing (no PNG, no extra file) for an input whose PNG would be larger than it; "
                       "said, not an error")
    ("json", "print one JSON object per image on stdout (failures too)")
    ("q,quiet", "print nothing on success")
    ("v,verbose", "also print stage times and the error of every iteration")
    ("h,help", "show this help")
    ("inputs", "input images or directories", cxxopts::value<std::vector<std::string>>());
  add_job_options(options, "0");
  options.parse_positional({"inputs"});
  return options;
}

}  // namespace

compress_settings parse_compress_options(int argc, char** argv, bool& show_help, std::string& help_text) {
  cxxopts::Options options = make_options();
  compress_settings s;
  try {
    const cxxopts::ParseResult parsed = options.parse(argc, argv);
    help_text = options.help({"", "image"}) + help_epilogue;
    show_help = parsed.count("help") > 0;
    if (show_help) return s;
    if (parsed.count("inputs")) s.inputs = parsed["inputs"].as<std::vector<std::string>>();
    if (parsed.count("output")) s.output = parsed["output"].as<std::string>();
    if (parsed.count("out-dir")) s.out_dir = parsed["out-dir"].as<std::string>();
    if (parsed.count("palette-out")) s.extra.palette = parsed["palette-out"].as<std::string>();
    if (parsed.count("labels-out")) s.extra.labels = parsed["labels-out"].as<std::string>();
    if (parsed.count("report")) s.extra.report = parsed["report"].as<std::string>();
    const job_settings work = read_job_options(parsed);
    s.job = work.job;
    s.level = work.level;
    s.backend = work.backend;
    s.threads = work.threads;
    s.skip_if_larger = parsed.count("skip-if-larger") > 0;
    s.json = parsed.count("json") > 0;
    s.quiet = parsed.count("quiet") > 0;
    s.verbose = parsed.count("verbose") > 0;
  } catch (const cxxopts::exceptions::exception& e) {
    throw error(error_kind::invalid_argument, e.what());
  }
  return s;
}

}  // namespace kmq::cli
