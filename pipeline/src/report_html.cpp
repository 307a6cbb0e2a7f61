// render_report_html(): the page around the sections, and what the sections
// share (previews, the detail crop, the colour sample), computed once.
#include "kmq/pipeline/report_html.hpp"

#include <algorithm>
#include <numeric>

#include "html_text.hpp"
#include "kmq/error.hpp"
#include "kmq/io/png_encoder.hpp"
#include "kmq/io/rgba_png.hpp"
#include "kmq/pipeline/palette_files.hpp"
#include "report_parts.hpp"

namespace kmq {
namespace {

using namespace report;

constexpr std::uint32_t detail_side = 160;
constexpr int preview_png_level = 9;  // the page's bytes matter more than the milliseconds

void check_outcome(const job_outcome& outcome) {
  const std::size_t pixels = std::size_t{outcome.width} * outcome.height;
  const quantize_result& q = outcome.quantized;
  if (pixels == 0 || outcome.decoded.size() != pixels || outcome.labels.indices.size() != pixels ||
      outcome.labels.width != outcome.width || outcome.labels.height != outcome.height)
    throw error(error_kind::invalid_argument,
                "render_report_html: the outcome carries no decoded pixels and label map (set image_job::keep_decoded)");
  if (q.palette.empty() || q.palette.size() > 256)
    throw error(error_kind::invalid_argument, "render_report_html: the outcome has no palette");
}

std::vector<std::uint8_t> encode_labels(const std::vector<packed_rgba>& palette, const label_map& labels) {
  return io::encode_palette_png(palette, labels.indices, labels.width, labels.height, preview_png_level);
}

page_data prepare(const image_job& job, const job_outcome& outcome, const report_context& context, unsigned side) {
  const quantize_result& q = outcome.quantized;
  const bool alpha = std::any_of(outcome.decoded.begin(), outcome.decoded.end(),
                                 [](packed_rgba c) { return alpha_of(c) != 255; });
  page_data page{job, outcome, context, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 0};
  page.name = base_name(outcome.input.empty() ? std::string("image") : outcome.input);
  page.pixels = std::uint64_t{outcome.width} * outcome.height;
  const extent full{outcome.width, outcome.height};
  page.preview = fit_within(outcome.width, outcome.height, side);
  const bool scaled = page.preview.width != full.width || page.preview.height != full.height;
  page.original_png = io::encode_rgba_png(scaled ? box_downscale(outcome.decoded, full, page.preview) : outcome.decoded,
                                          page.preview.width, page.preview.height, alpha, preview_png_level);
  const label_map preview_labels = scaled ? nearest_labels(outcome.labels, page.preview) : outcome.labels;
  page.compressed_png = encode_labels(q.palette, preview_labels);
  std::vector<packed_rgba> false_colours(q.palette.size());
  for (std::size_t i = 0; i < false_colours.size(); ++i) false_colours[i] = false_colour(i);
  page.labels_png = encode_labels(false_colours, preview_labels);
  page.boundaries_png = encode_labels({pack_rgba(0, 0, 0, 0), pack_rgba(255, 255, 255, 255)},
                                      cluster_boundaries(preview_labels));

  page.detail = largest_error_region(outcome.decoded, outcome.labels, q.palette, detail_side);
  page.detail_original_png = io::encode_rgba_png(crop(outcome.decoded, outcome.width, page.detail), page.detail.width,
                                                 page.detail.height, alpha, preview_png_level);
  page.detail_compressed_png = encode_labels(q.palette, crop(outcome.labels, page.detail));

  page.by_share.resize(q.palette.size());
  std::iota(page.by_share.begin(), page.by_share.end(), std::size_t{0});
  const auto usage = [&](std::size_t i) { return i < q.usage.size() ? q.usage[i] : 0; };
  std::stable_sort(page.by_share.begin(), page.by_share.end(),
                   [&](std::size_t a, std::size_t b) { return usage(a) > usage(b); });
  page.sample = sample_pixels(outcome.decoded, outcome.labels, cluster_sample_points);
  return page;
}

std::string render_page(const page_data& page) {
  const job_outcome& r = page.outcome;
  const std::string version = page.context.version.empty() ? std::string("kmq") : "kmq " + page.context.version;
  const std::string name = escape(page.name);
  const std::string colours = report::colours(r.quantized.palette.size());
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src "
      "'unsafe-inline'; script-src 'unsafe-inline'\">\n"
      "<meta name=\"color-scheme\" content=\"light dark\">\n<meta name=\"generator\" content=\"" +
      escape(version) + "\">\n<title>" + name + " \xe2\x86\x92 " + colours + " \xc2\xb7 kmq report</title>\n<style>" +
      report_css() + "</style>\n</head>\n" +
      // Small images are shown enlarged: as pixels, not blurred.
      (std::max(page.preview.width, page.preview.height) < 360 ? "<body class=\"small-image\">\n" : "<body>\n");
  std::string sub = grouped(r.width) + "\xc2\xa0\xc3\x97\xc2\xa0" + grouped(r.height) + " px \xc2\xb7 " +
                    byte_size(r.input_bytes) + " \xe2\x86\x92 " + byte_size(r.png.size());
  if (r.input_bytes > 0)
    sub += " (" + percent(static_cast<double>(r.png.size()) / static_cast<double>(r.input_bytes), 1) + ")";
  if (r.measured) sub += " \xc2\xb7 PSNR " + psnr_text(r.metrics.psnr) + " \xc2\xb7 SSIM " + fixed(r.metrics.ssim, 3);
  html += "<header class=\"top\"><div class=\"wrap\"><p class=\"kicker\">kmq report \xc2\xb7 k-means colour "
          "quantization</p><h1>" + name + " <span class=\"to\">\xe2\x86\x92 " + colours + "</span></h1><p class=\"sub\">" +
          sub + "</p></div></header>\n";
  html += "<nav class=\"toc\" aria-label=\"Sections\"><div class=\"wrap\">";
  const std::pair<const char*, const char*> links[] = {
      {"summary", "Summary"}, {"compare", "Compare"},   {"palette", "Palette"},   {"wcss", "WCSS"},
      {"elbow", "Elbow"},     {"clusters", "Clusters"}, {"overlay", "Overlay"},   {"timings", "Times"},
      {"command", "Command"}};
  for (const auto& [id, label] : links) html += std::string("<a href=\"#") + id + "\">" + label + "</a>";
  html += "</div></nav>\n<main class=\"wrap\">\n";
  const std::string sections[] = {summary_section(page), compare_section(page), palette_section(page),
                                  wcss_section(page),    elbow_section(page),   clusters_section(page),
                                  overlay_section(page), timings_section(page), command_section(page)};
  for (const std::string& section : sections) html += section + "\n";
  html += "</main>\n<footer class=\"wrap\"><p>Made by " + escape(version) +
          ". One self-contained file: it opens offline and loads nothing from anywhere.</p></footer>\n";
  html += cluster_data_script(page) + "\n<script>" + report_script() + "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace

std::string render_report_html(const image_job& job, const job_outcome& outcome, const report_context& context) {
  check_outcome(outcome);
  for (unsigned side = report_preview_side;; side = side * 3 / 4) {
    std::string html = render_page(prepare(job, outcome, context, side));
    if (html.size() <= max_report_bytes || side < 128) return html;
  }
}

}  // namespace kmq
