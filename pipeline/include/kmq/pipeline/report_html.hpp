// The proof of one job as ONE self-contained HTML page (kmq compress --report,
// and later the web page of kmq serve): original and compressed side by side
// with a swipe divider and a 1:1 zoom, sizes and quality, the palette, WCSS
// per Lloyd pass, the elbow curve, the colour clusters in colour space, the
// cluster overlay, stage times and the command line. No network, no CDN, no
// plotting runtime: plain HTML, CSS, SVG and a small script written here.
#pragma once
#include <string>
#include <vector>

#include "kmq/pipeline/image_job.hpp"
#include "kmq/pipeline/job_outcome.hpp"

namespace kmq {

struct report_context {
  std::string command_line;          // the command as typed, e.g. "kmq compress a.jpg -o a.png --report r.html"
  std::string version;               // kmq's version
  // The elbow curve and the Ks tried by --quality are in job_outcome
  // (outcome.elbow, outcome.ks_tried); empty: the section says how to get them.
  std::string level;                 // --level given, or empty
};

// The largest preview side: images are shown through previews of at most this
// many pixels a side (box-filtered original, nearest-label compressed), which
// keeps the page under max_report_bytes whatever the input size: should a page
// still come out larger (noise at K = 256 with alpha), it is rendered again
// with previews of 3/4 of that side, and so on.
constexpr unsigned report_preview_side = 1024;
constexpr std::size_t max_report_bytes = 5u << 20;

// job_outcome must come from a job with keep_decoded (pixels and label map).
// Throws error(invalid_argument) otherwise.
std::string render_report_html(const image_job& job, const job_outcome& outcome, const report_context& context);

}  // namespace kmq
