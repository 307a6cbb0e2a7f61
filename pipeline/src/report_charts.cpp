// The report's plots: WCSS per Lloyd pass, the elbow curve, and the colour
// clusters in colour space (SVG projections, plus the data of the 3-D view).
#include <algorithm>
#include <cmath>

#include "html_text.hpp"
#include "report_parts.hpp"
#include "svg_plot.hpp"

namespace kmq::report {
namespace {

std::string table_open(const std::vector<const char*>& columns) {
  std::string out = "<div class=\"scroll\"><table class=\"data\"><thead><tr>";
  for (const char* c : columns) out += std::string("<th scope=\"col\">") + c + "</th>";
  return out + "</tr></thead><tbody>";
}

struct lab {
  double l, a, b;
};

// sRGB (D65) to CIELAB.
lab to_lab(packed_rgba c) {
  const auto linear = [](std::uint32_t v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  const double r = linear(channel_of(c, 0)), g = linear(channel_of(c, 1)), b = linear(channel_of(c, 2));
  const double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  const double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
  const auto f = [](double t) { return t > 216.0 / 24389.0 ? std::cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0; };
  return {116.0 * f(y) - 16.0, 500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z))};
}

double share_of(const quantize_result& q, std::size_t i) {
  std::uint64_t total = 0;
  for (const std::uint64_t u : q.usage) total += u;
  return total == 0 || i >= q.usage.size() ? 0.0 : static_cast<double>(q.usage[i]) / static_cast<double>(total);
}

}  // namespace

std::string wcss_section(const page_data& page) {
  const quantize_result& q = page.outcome.quantized;
  if (q.exact_grey) {
    return section_open("wcss", "WCSS per Lloyd pass",
                        "No Lloyd pass ran: every colour of the image is grey, so its " + grouped(q.distinct_colors) +
                            " levels lie on one line, where the best palette is found exactly: the cut of the "
                            "levels into K runs of least squared error, each served by the level nearest its mean (a dynamic "
                            "programme). No seeding, so no local minimum; final WCSS " + compact(q.wcss) + ".") +
           "</section>";
  }
  if (q.passes.empty()) {
    return section_open("wcss", "WCSS per Lloyd pass",
                        "No Lloyd pass ran: K is at least the number of distinct colours of the image (" +
                            grouped(q.distinct_colors) + "), so the palette is those colours and the error is 0.") +
           "</section>";
  }
  const double first = q.passes.front().wcss, last = q.passes.back().wcss;
  int rises = 0;
  for (std::size_t i = 1; i < q.passes.size(); ++i) rises += q.passes[i].wcss > q.passes[i - 1].wcss ? 1 : 0;
  const bool oklab = q.space == color_space::oklab;
  const std::string distance = oklab ? "squared OKLab distance (fixed point, 255 to a unit of L, a and b)"
                               : q.premultiplied ? "squared distance of the composited colour (R\xc2\xb7" "A, G\xc2\xb7" "A, "
                                                   "B\xc2\xb7" "A and A)"
                                                 : "squared RGB distance";
  std::string lead =
      "The objective k-means minimises: the within-cluster sum of squares, WCSS = \xce\xa3 over all pixels of the " +
      distance + " to their cluster's centroid, after each Lloyd pass (assign every colour to its nearest "
      "centroid, move every centroid to the mean of its colours). " +
      std::to_string(q.passes.size()) + (q.passes.size() == 1 ? " pass" : " passes") + ": from " + compact(first) +
      " to " + compact(last) + (first > 0 ? " (\xe2\x88\x92" + percent((first - last) / first, 1) + ")" : "") + ", " +
      (rises == 0 ? "never rising" : "rising in " + std::to_string(rises) + " passes") + "; " +
      (q.converged ? "converged when a pass gained less than " + percent(page.job.quantize.kmeans.tol, 3) + "."
                   : "stopped at the pass limit.") +
      (q.restarts > 1 ? " The run shown is the best of " + std::to_string(q.restarts) + " seedings" +
                            (q.split_run_kept() ? ": the one from the variance split." : ".")
                      : "");
  std::string html = section_open("wcss", "WCSS per Lloyd pass", lead);
  svg::line_plot plot;
  plot.id = "wcss-plot";
  plot.title = "WCSS after each Lloyd pass";
  plot.description = "WCSS falls from " + compact(first) + " after pass 1 to " + compact(last) + " after pass " +
                     std::to_string(q.passes.size()) + ".";
  plot.x = {"Lloyd pass", false, 10, false, true};
  plot.y = {"WCSS", false, 10, false, false};
  svg::series s;
  s.markers = q.passes.size() <= 120;
  for (std::size_t i = 0; i < q.passes.size(); ++i) {
    const iteration_stats& p = q.passes[i];
    s.x.push_back(static_cast<double>(i + 1));
    s.y.push_back(p.wcss);
    std::string title = "pass " + std::to_string(i + 1) + ": WCSS " + compact(p.wcss) + ", " +
                        grouped(p.labels_changed) + " colours changed cluster";
    if (p.empty_clusters > 0) title += ", " + std::to_string(p.empty_clusters) + " empty";
    s.titles.push_back(title);
  }
  plot.lines.push_back(std::move(s));
  plot.width = 960;
  plot.height = 300;
  html += "<figure class=\"chart wide\">" + svg::render_line_plot(plot) + "</figure>";
  html += "<p class=\"note\">The palette as written (centroids rounded to 8-bit colours, every pixel at its nearest "
          "entry) has WCSS <strong>" + grouped(static_cast<std::uint64_t>(std::llround(q.wcss))) +
          "</strong>" + (oklab ? " in sRGB units (the curve above is in OKLab units, which it does not compare with)" : "") +
          ", MSE " + fixed(page.outcome.metrics.mse, 2) + " per channel.</p>";
  html += "<details><summary>Every pass</summary>" +
          table_open({"pass", "WCSS", "change", "colours moved", "empty clusters", "time"});
  for (std::size_t i = 0; i < q.passes.size(); ++i) {
    const iteration_stats& p = q.passes[i];
    const double before = i == 0 ? 0.0 : q.passes[i - 1].wcss;
    html += "<tr><td class=\"num\">" + std::to_string(i + 1) + "</td><td class=\"num\">" +
            grouped(static_cast<std::uint64_t>(std::llround(p.wcss))) + "</td><td class=\"num\">" +
            (i == 0 || before <= 0 ? std::string("\xe2\x80\x94") : percent((p.wcss - before) / before, 3)) +
            "</td><td class=\"num\">" + grouped(p.labels_changed) + "</td><td class=\"num\">" +
            std::to_string(p.empty_clusters) + "</td><td class=\"num\">" + seconds_text(p.seconds) + "</td></tr>";
  }
  return html + "</tbody></table></div></details></section>";
}

std::string elbow_section(const page_data& page) {
  const std::vector<elbow_point>& elbow = page.outcome.elbow;
  const quantize_result& q = page.outcome.quantized;
  if (elbow.empty()) {
    return section_open("elbow", "Elbow curve") +
           "<p class=\"lead\">Not computed for this run. <code>kmq compress \xe2\x80\xa6 --elbow</code> computes it: "
           "the palette for K = 2, 4, 8, \xe2\x80\xa6 256 and its error, to show where more colours stop paying "
           "off.</p></section>";
  }
  // Lossless (K at or above the colours), the curve ends at the colour count,
  // where this palette lies, not at the K asked for.
  const int chosen = q.lossless ? static_cast<int>(q.palette.size()) : page.outcome.k > 0 ? page.outcome.k : asked_k(page);
  // The curve's palettes are mapped without dithering; a dithered result's
  // own error is another (usually lower PSNR), so the mark sits on the curve
  // and the text gives the dithered figure.
  const bool dithered = page.job.remap.dither != dither_method::none;
  const auto on_curve = std::find_if(elbow.begin(), elbow.end(), [&](const elbow_point& p) { return p.k == chosen; });
  const bool mark_on_curve = dithered && on_curve != elbow.end();
  std::string lead =
      "The error of the best palette for each K, against K on a logarithmic axis: past the elbow, each doubling of "
      "the palette buys less. The marked point is this image's K = " + std::to_string(chosen) + ".";
  if (dithered) {
    lead += " The curve is of palettes mapped without dithering; this result is dithered (" +
            std::string(dither_method_name(page.job.remap.dither)) + "), with a PSNR of " +
            psnr_text(page.outcome.metrics.psnr) + ".";
  }
  std::string html = section_open("elbow", "Elbow curve", lead);
  const auto plot_of = [&](const char* id, const char* title, const char* label, bool psnr) {
    svg::line_plot plot;
    plot.id = id;
    plot.title = title;
    plot.description = std::string(title) + " for K from " + std::to_string(elbow.front().k) + " to " +
                       std::to_string(elbow.back().k) + ".";
    plot.x = {"K (palette size)", true, 2, false, true};
    plot.y = {label, false, 10, !psnr, false};
    plot.width = 520;
    svg::series s;
    s.style = psnr ? 1 : 0;
    for (const elbow_point& p : elbow) {
      if (psnr && !std::isfinite(p.psnr)) continue;
      s.x.push_back(p.k);
      s.y.push_back(psnr ? p.psnr : p.wcss);
      s.titles.push_back("K = " + std::to_string(p.k) + ": WCSS " + compact(p.wcss) + ", PSNR " + psnr_text(p.psnr));
    }
    plot.lines.push_back(std::move(s));
    const double y = mark_on_curve ? (psnr ? on_curve->psnr : on_curve->wcss) : psnr ? page.outcome.metrics.psnr : q.wcss;
    svg::highlight mark{static_cast<double>(chosen), y, "K = " + std::to_string(chosen), std::isfinite(y)};
    plot.marks.push_back(mark);
    return "<figure class=\"chart\">" + svg::render_line_plot(plot) + "</figure>";
  };
  html += "<div class=\"charts\">" + plot_of("elbow-plot", "WCSS against K", "WCSS", false);
  if (page.outcome.measured) html += plot_of("elbow-psnr-plot", "PSNR against K", "PSNR (dB)", true);
  html += "</div><details><summary>Every K</summary>" + table_open({"K", "WCSS", "MSE", "PSNR", "time"});
  for (const elbow_point& p : elbow) {
    html += std::string("<tr") + (p.k == chosen ? " class=\"chosen\"" : "") + "><td class=\"num\">" +
            std::to_string(p.k) + "</td><td class=\"num\">" +
            grouped(static_cast<std::uint64_t>(std::llround(p.wcss))) + "</td><td class=\"num\">" + fixed(p.mse, 2) +
            "</td><td class=\"num\">" + psnr_text(p.psnr) + "</td><td class=\"num\">" + seconds_text(p.seconds) +
            "</td></tr>";
  }
  return html + "</tbody></table></div></details></section>";
}

std::string clusters_section(const page_data& page) {
  const quantize_result& q = page.outcome.quantized;
  const pixel_sample& sample = page.sample;
  // Fully transparent pixels show no colour and are not drawn: the count
  // says "visible" where there are any such, and an image of nothing but
  // them says so instead of "0 of its 0 pixels".
  const std::uint64_t pixels = std::uint64_t{page.outcome.width} * page.outcome.height;
  const std::string drawn =
      sample.population == 0
          ? "Every pixel of this image is fully transparent (alpha 0), so there is no colour to draw; the "
            "centroids are the large outlined discs."
          : "Here " + grouped(sample.colours.size()) + " of its " + grouped(sample.population) +
                (sample.population < pixels ? " visible pixels (alpha above 0; " + grouped(pixels - sample.population) +
                                                  " are fully transparent)"
                                            : std::string(" pixels")) +
                " (one from each equal stride of the pixels, at an offset drawn with a fixed seed), each drawn in "
                "the colour of its cluster's centroid; the centroids are the large outlined discs.";
  std::string html = section_open(
      "clusters", "Colour clusters",
      std::string(q.exact_grey ? "The exact grey palette groups the image's levels into K runs around K entries. "
                               : "k-means groups the image's colours around K centroids. ") +
          drawn +
          " The RGB planes show the space the clustering runs in; CIELAB a*/b* shows hue and saturation.");
  struct projection {
    const char* id;
    const char* title;
    const char* x_label;
    const char* y_label;
    bool lab_space;
    int x, y;  // RGB channels
  };
  const projection projections[] = {{"clusters-rg", "Red against green", "R", "G", false, 0, 1},
                                    {"clusters-rb", "Red against blue", "R", "B", false, 0, 2},
                                    {"clusters-ab", "CIELAB a* against b*", "a* (green \xe2\x80\x93 red)",
                                     "b* (blue \xe2\x80\x93 yellow)", true, 0, 0}};
  html += "<div class=\"charts three\">";
  for (const projection& p : projections) {
    svg::scatter_plot plot;
    plot.id = p.id;
    plot.title = p.title;
    plot.description = std::string(p.title) + ": sampled pixels in their centroid's colour, centroids outlined.";
    plot.x_label = p.x_label;
    plot.y_label = p.y_label;
    if (p.lab_space) {
      // Symmetric about grey, just wide enough for the sample and the centroids.
      double reach = 10;
      for (const packed_rgba c : sample.colours) reach = std::max({reach, std::abs(to_lab(c).a), std::abs(to_lab(c).b)});
      for (const packed_rgba c : q.palette) reach = std::max({reach, std::abs(to_lab(c).a), std::abs(to_lab(c).b)});
      const double edge = svg::nice_domain(0, reach, 2).second;
      plot.lo = -edge * 1.08;
      plot.hi = edge * 1.08;
      plot.ticks = svg::linear_ticks(-edge, edge, 4);
    }
    const auto coords = [&](packed_rgba c) {
      if (p.lab_space) {
        const lab v = to_lab(c);
        return std::pair<double, double>(v.a, v.b);
      }
      return std::pair<double, double>(channel_of(c, p.x), channel_of(c, p.y));
    };
    plot.groups.resize(q.palette.size());
    for (std::size_t i = 0; i < q.palette.size(); ++i) {
      plot.groups[i].colour = hex_colour(q.palette[i]);
      plot.groups[i].title = "entry " + std::to_string(i) + " (" + hex_colour(q.palette[i]) + ")";
    }
    for (std::size_t i = 0; i < sample.colours.size(); ++i) {
      auto point = coords(sample.colours[i]);
      point.first = std::clamp(point.first, plot.lo, plot.hi);
      point.second = std::clamp(point.second, plot.lo, plot.hi);
      plot.groups[sample.labels[i]].points.push_back(point);
    }
    for (std::size_t i = 0; i < q.palette.size(); ++i) {
      // The transparent entry shows no colour, as its pixels are not drawn: no black disc for it.
      if (alpha_of(q.palette[i]) == 0) continue;
      const auto [x, y] = coords(q.palette[i]);
      plot.centres.push_back({std::clamp(x, plot.lo, plot.hi), std::clamp(y, plot.lo, plot.hi), hex_colour(q.palette[i]),
                              "centroid " + std::to_string(i) + ": " + hex_colour(q.palette[i]) + ", " +
                                  percent(share_of(q, i), 1) + " of the pixels"});
    }
    html += "<figure class=\"chart\">" + svg::render_scatter(plot) + "<figcaption>" + p.title + "</figcaption></figure>";
  }
  html += "</div><figure class=\"cube\"><canvas id=\"cube\" width=\"640\" height=\"480\" tabindex=\"0\" "
          "aria-label=\"The sampled colours in the RGB cube; drag or press the arrow keys to turn it\"></canvas>"
          "<figcaption>The same sample in the RGB cube: drag, or focus it and use the arrow keys, to turn it. "
          "<button type=\"button\" id=\"cube-spin\" aria-pressed=\"true\">Pause rotation</button></figcaption></figure>";
  return html + "</section>";
}

std::string cluster_data_script(const page_data& page) {
  const quantize_result& q = page.outcome.quantized;
  const pixel_sample& sample = page.sample;
  std::string out = "<script type=\"application/json\" id=\"cluster-data\">{\"p\":[";
  for (std::size_t i = 0; i < sample.colours.size(); ++i) {
    const packed_rgba c = sample.colours[i];
    if (i != 0) out += ',';
    out += std::to_string(channel_of(c, 0)) + ',' + std::to_string(channel_of(c, 1)) + ',' +
           std::to_string(channel_of(c, 2)) + ',' + std::to_string(sample.labels[i]);
  }
  out += "],\"c\":[";
  for (std::size_t i = 0; i < q.palette.size(); ++i) {
    const packed_rgba c = q.palette[i];
    if (i != 0) out += ',';
    out += std::to_string(channel_of(c, 0)) + ',' + std::to_string(channel_of(c, 1)) + ',' +
           std::to_string(channel_of(c, 2));
  }
  return out + "]}</script>";
}

}  // namespace kmq::report
