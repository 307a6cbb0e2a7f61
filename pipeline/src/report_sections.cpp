// The report's sections of numbers and words: summary, palette, stage times,
// command line.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "html_text.hpp"
#include "kmq/pipeline/palette_files.hpp"
#include "report_parts.hpp"

namespace kmq::report {
namespace {

std::string card(const std::string& label, const std::string& value, const std::string& note,
                 const char* cls = "") {
  return std::string("<div class=\"card ") + cls + "\"><div class=\"card-label\">" + label +
         "</div><div class=\"card-value\">" + value + "</div><div class=\"card-note\">" + note + "</div></div>";
}

// Black or white text, whichever reads better on the colour (WCAG luminance).
const char* ink_on(packed_rgba c) {
  const auto linear = [](std::uint32_t v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  const double y = 0.2126 * linear(channel_of(c, 0)) + 0.7152 * linear(channel_of(c, 1)) + 0.0722 * linear(channel_of(c, 2));
  return y > 0.18 ? "#111" : "#fff";
}

std::string text_data_uri(const std::string& mime, const std::string& text) {
  return "data:" + mime + ";base64," + base64(std::vector<std::uint8_t>(text.begin(), text.end()));
}

// Which seeding the kept run came from, after "best of N seedings".
std::string kept_seeding(const quantize_result& q, init_method init) {
  if (q.restarts <= 1) return "";
  if (!q.split_run) return " (#" + std::to_string(q.best_restart + 1) + " kept)";
  return " (" + std::to_string(q.restarts - 1) + " " + (init == init_method::random ? "random" : "k-means++") +
         ", 1 variance split; " +
         (q.split_run_kept() ? std::string("the split kept)") : "#" + std::to_string(q.best_restart + 1) + " kept)");
}

std::string stem_of(const std::string& name) {
  const std::size_t dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

}  // namespace

std::string section_open(const char* id, const std::string& title, const std::string& lead) {
  std::string out = std::string("<section id=\"") + id + "\" aria-labelledby=\"" + id + "-h\"><h2 id=\"" + id + "-h\">" +
                    title + "</h2>";
  if (!lead.empty()) out += "<p class=\"lead\">" + lead + "</p>";
  return out;
}

std::string psnr_text(double psnr) {
  return std::isinf(psnr) ? std::string("\xe2\x88\x9e (identical)") : fixed(psnr, 2) + " dB";
}

int asked_k(const page_data& page) { return page.job.quantize.kmeans.k; }

std::string summary_section(const page_data& page) {
  const job_outcome& r = page.outcome;
  const quantize_result& q = r.quantized;
  const auto in = static_cast<double>(r.input_bytes), out = static_cast<double>(r.png.size());
  const double pixels = static_cast<double>(page.pixels);
  std::string html = section_open("summary", "Summary");
  html += "<div class=\"cards\">";
  std::string ratio_note = "output bytes / input bytes";
  if (in > 0) {
    ratio_note = out <= in ? fixed(in / std::max(out, 1.0), 2) + "\xc3\x97 smaller than the input"
                           : fixed(out / in, 2) + "\xc3\x97 larger than the input";
  }
  html += card("Size", byte_size(r.input_bytes) + " \xe2\x86\x92 " + byte_size(r.png.size()),
               grouped(r.input_bytes) + " \xe2\x86\x92 " + grouped(r.png.size()) + " bytes", "wide");
  html += card("Ratio", in > 0 ? percent(out / in, 1) : "\xe2\x80\x94", ratio_note);
  html += card("Bits per pixel", fixed(8.0 * out / pixels, 2),
               "input " + fixed(8.0 * in / pixels, 2) + " bpp \xc2\xb7 " + grouped(r.width) + " \xc3\x97 " +
                   grouped(r.height) + " px");
  if (r.measured) {
    html += card("PSNR", psnr_text(r.metrics.psnr), "MSE " + fixed(r.metrics.mse, 2) + " per channel (" +
                                                         std::to_string(r.metrics.channels) + " channels)");
    html += card("SSIM", fixed(r.metrics.ssim, 4), "mean SSIM of luma, 8\xc3\x97" "8 windows");
  }
  const int k = asked_k(page);
  std::string k_note = "K asked: " + std::to_string(k);
  if (page.job.quality) k_note = "K chosen by --quality: " + std::to_string(r.k);
  html += card("Palette", colours(q.palette.size()),
               k_note + " \xc2\xb7 " + grouped(q.distinct_colors) + (q.distinct_colors == 1 ? " distinct colour" : " distinct colours") +
                   " in the input" +
                   (q.lossless ? " \xc2\xb7 lossless" : ""));
  html += card("Clustering",
               q.lossless || q.exact_grey ? std::string("exact")
                                          : std::to_string(q.iterations) + (q.iterations == 1 ? " pass" : " passes"),
               q.lossless ? std::string("K \xe2\x89\xa5 distinct colours: the palette is the image's colours")
               : q.exact_grey
                   ? std::string("grey image: the K levels of least error, found exactly (no seeding, no Lloyd pass)")
                   : std::string(q.converged ? "converged" : "stopped at --max-iter") + " \xc2\xb7 best of " +
                                std::to_string(q.restarts) + (q.restarts == 1 ? " seeding" : " seedings") +
                                kept_seeding(q, page.job.quantize.kmeans.init));
  html += "</div>";
  std::vector<int> tried = r.ks_tried;
  if (!tried.empty() || !page.context.level.empty()) {
    html += "<p class=\"note\">";
    if (!page.context.level.empty()) html += "Level: <strong>" + escape(page.context.level) + "</strong>. ";
    if (!tried.empty()) {
      html += "Ks tried by the quality search, in order:";
      for (const int t : tried) html += " " + std::to_string(t);
      html += ".";
    }
    html += "</p>";
  }
  return html + "</section>";
}

std::string palette_section(const page_data& page) {
  const quantize_result& q = page.outcome.quantized;
  std::uint64_t total = 0;
  for (const std::uint64_t u : q.usage) total += u;
  const auto share = [&](std::size_t i) {
    return total == 0 || i >= q.usage.size() ? 0.0 : static_cast<double>(q.usage[i]) / static_cast<double>(total);
  };
  const bool one = q.palette.size() == 1;
  std::string html = section_open(
      "palette", "Palette",
      (one ? std::string("The one") : "The " + std::to_string(q.palette.size())) +
          (q.lossless     ? (one ? " colour of the image" : " colours of the image")
           : q.exact_grey ? (one ? " grey level of least error" : " grey levels of least error") +
                                std::string(" (found exactly: a grey image needs no k-means)")
                          : (one ? " centroid k-means found" : " centroids k-means found")) +
          ", as written to the PNG, most used first. Share: the pixels mapped to each colour.");
  html += "<div class=\"strip checker\" role=\"img\" aria-label=\"The palette as one bar, each colour as wide as its share\">";
  for (const std::size_t i : page.by_share)
    html += "<span style=\"flex-grow:" + fixed(share(i) * 1000.0, 2) + ";background:" + css_colour(q.palette[i]) +
            "\" title=\"" + hex_colour(q.palette[i]) + " \xc2\xb7 " + percent(share(i), 2) + "\"></span>";
  html += "</div><ol class=\"swatches\">";
  const double top = page.by_share.empty() ? 1.0 : std::max(share(page.by_share.front()), 1e-12);
  for (const std::size_t i : page.by_share) {
    const packed_rgba c = q.palette[i];
    html += "<li class=\"swatch\"><span class=\"chip checker\"><span class=\"chip-fill\" style=\"background:" +
            css_colour(c) + ";color:" + (alpha_of(c) < 128 ? "var(--ink)" : ink_on(c)) + "\">" + hex_colour(c) +
            "</span></span><span class=\"sw-body\"><span class=\"sw-share\"><strong>" +
            percent(share(i), 2) + "</strong><span>" + grouped(i < q.usage.size() ? q.usage[i] : 0) +
            " px</span></span><span class=\"sw-rgb\">" + rgb_text(c) + "</span><span class=\"bar\"><span style=\"width:" + fixed(100.0 * share(i) / top, 1) +
            "%\"></span></span><span class=\"sw-index\" title=\"Palette entry " + std::to_string(i) +
            "; the chip is its colour in the cluster overlay\"><i class=\"fc\" style=\"background:" +
            hex_colour(false_colour(i)) + "\"></i>cluster " + std::to_string(i) + "</span></span></li>";
  }
  html += "</ol>";
  const std::string stem = escape(stem_of(page.name));
  html += "<p class=\"downloads\">Save the palette: <a download=\"" + stem + ".gpl\" href=\"" +
          text_data_uri("text/plain", palette_gpl(q.palette, q.usage, stem_of(page.name))) +
          "\">GIMP palette (.gpl)</a> \xc2\xb7 <a download=\"" + stem + "-palette.json\" href=\"" +
          text_data_uri("application/json", palette_json(q.palette, q.usage)) + "\">JSON</a> \xc2\xb7 <a download=\"" +
          stem + "-palette.png\" href=\"" + png_data_uri(palette_swatch_png(q.palette, q.usage)) +
          "\">swatch strip (.png)</a></p>";
  return html + "</section>";
}

std::string timings_section(const page_data& page) {
  const job_outcome& r = page.outcome;
  const stage_times& s = r.seconds;
  const std::pair<const char*, double> stages[] = {
      {"decode", s.decode},   {"histogram", s.histogram}, {"seed", s.seed},     {"iterate", s.iterate},
      {"refine", s.refine},   {"map", s.map},             {"metrics", s.metrics}, {"encode", s.encode},
      {"write", s.write}};
  const double total = std::max(s.total, 1e-12);
  std::string html = section_open("timings", "Stage times",
                                  "Wall time of each stage of the job, on " + escape(r.backend) + " (" +
                                      escape(r.device) + "). Metrics and encode run side by side, so their "
                                      "times overlap.");
  html += "<table class=\"timings\"><thead><tr><th scope=\"col\">stage</th><th scope=\"col\">time</th><th "
          "scope=\"col\">share of the total</th></tr></thead><tbody>";
  double staged = 0;
  for (const auto& [stage, seconds] : stages) staged += seconds;
  const double other = s.total - staged;
  for (const auto& [stage, seconds] : stages) {
    // kmq compress writes the PNG after the report (so a failed write takes
    // the report away too): its time is not known here.
    const bool write = std::string(stage) == "write";
    const std::string shown = write && r.output.empty() ? std::string("not written")
                              : write && seconds == 0.0 ? std::string("after this report")
                                                        : seconds_text(seconds);
    html += "<tr><th scope=\"row\">" + std::string(stage) + "</th><td class=\"num\">" + shown +
            "</td><td><span class=\"bar\"><span style=\"width:" + fixed(std::min(100.0, 100.0 * seconds / total), 1) +
            "%\"></span></span></td></tr>";
  }
  if (other > 0.01 * s.total) {
    html += "<tr><th scope=\"row\">other <span class=\"hint\">(" +
            (page.job.elbow ? std::string("the elbow curve's palettes") : std::string("between the stages")) +
            ")</span></th><td class=\"num\">" + seconds_text(other) + "</td><td><span class=\"bar\"><span style=\"width:" +
            fixed(std::min(100.0, 100.0 * other / total), 1) + "%\"></span></span></td></tr>";
  }
  html += "</tbody><tfoot><tr><th scope=\"row\">total</th><td class=\"num\">" + seconds_text(s.total) +
          "</td><td></td></tr></tfoot></table>";
  const quantize_result& q = r.quantized;
  html += "<dl class=\"facts\"><dt>backend</dt><dd>" + escape(r.backend) + "</dd><dt>device</dt><dd>" +
          escape(r.device) + "</dd><dt>threads</dt><dd>" + std::to_string(r.threads) + "</dd>";
  if (!q.passes.empty())
    html += "<dt>per Lloyd pass</dt><dd>" + seconds_text(s.iterate / static_cast<double>(q.passes.size())) +
            " on average</dd>";
  for (const std::string& notice : r.notices) html += "<dt>notice</dt><dd>" + escape(notice) + "</dd>";
  return html + "</dl></section>";
}

std::string command_section(const page_data& page) {
  const image_job& job = page.job;
  const job_outcome& r = page.outcome;
  const kmeans_params& km = job.quantize.kmeans;
  std::string html = section_open("command", "Command and settings");
  const std::string command = page.context.command_line.empty() ? std::string("(not given)") : page.context.command_line;
  html += "<pre class=\"cmd\"><code>" + escape(command) + "</code></pre><dl class=\"facts\">";
  const auto fact = [&](const std::string& name, const std::string& value) {
    html += "<dt>" + name + "</dt><dd>" + value + "</dd>";
  };
  fact("kmq version", escape(page.context.version.empty() ? std::string("unknown") : page.context.version));
  fact("input", "<code>" + escape(r.input) + "</code>");
  fact("output", r.output.empty() ? std::string("(not written)") : "<code>" + escape(r.output) + "</code>");
  fact("K", job.quality ? "chosen by --quality (PSNR " + fixed(job.quality->min_psnr, 1) + "\xe2\x80\x93" +
                              fixed(job.quality->max_psnr, 1) + " dB): " + std::to_string(r.k)
                        : std::to_string(km.k));
  const std::string unused = "not used (grey image: exact optimum)";
  const bool split_added = r.quantized.split_run && km.init != init_method::variance_split;
  fact("seeding", r.quantized.exact_grey ? unused
                  : km.init == init_method::variance_split
                      ? std::string("variance split (no draws: the seed is not used)")
                      : std::string(init_method_name(km.init)) + ", seed " + std::to_string(km.seed) +
                            (split_added ? ", and one run from a variance split" : ""));
  fact("restarts", r.quantized.exact_grey ? unused
                   : km.restarts == 0        ? "auto (" + std::to_string(r.quantized.restarts) + ")"
                   : km.init == init_method::variance_split
                       ? std::to_string(km.restarts) + " asked, 1 run (a variance split draws nothing)"
                       : std::to_string(km.restarts));
  char tolerance[32];
  std::snprintf(tolerance, sizeof tolerance, "%g", km.tol);
  fact("max passes, tolerance", r.quantized.exact_grey ? unused : std::to_string(km.max_iter) + ", " + tolerance);
  fact("dedupe", job.quantize.dedupe ? "yes" : "no");
  fact("dither", dither_method_name(job.remap.dither));
  fact("PNG deflate level", std::to_string(job.png_level));
  return html + "</dl></section>";
}

}  // namespace kmq::report
