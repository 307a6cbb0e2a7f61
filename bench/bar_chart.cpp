#include "bar_chart.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "html_text.hpp"
#include "svg_plot.hpp"

namespace kmq::bench {
namespace {

constexpr double margin = 10, bar_height = 12, bar_gap = 2, row_gap = 6, char_width = 6.2;
constexpr double value_room = 76;  // right of the plot: the longest bar's value
constexpr std::size_t machine_wrap = 118;

std::string number(double value, int decimals) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

std::string tick_text(double value) {
  if (value != 0 && (std::abs(value) >= 1e4 || std::abs(value) < 1e-2)) return report::compact(value);
  std::ostringstream out;
  out << value;
  return out.str();
}

// Lines of at most `width` characters, broken at spaces (a longer word stays whole).
std::vector<std::string> wrapped(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string line;
  for (std::string word; words >> word;) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

bool measured(double value, bool log) { return std::isfinite(value) && (!log || value > 0); }

// The panel's axis: from 0 (linear) or from the power of ten at or below its
// least value (log), to past its largest value and its reference line.
svg::scale panel_scale(const bar_panel& panel, double left, double right) {
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (const bar_row& row : panel.rows) {
    for (double v : row.values) {
      if (!measured(v, panel.log)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (panel.reference > 0) lo = std::min(lo, panel.reference), hi = std::max(hi, panel.reference);
  if (!(hi >= lo)) lo = panel.log ? 1 : 0, hi = 1;
  if (panel.log) {
    const double floor_power = std::pow(10.0, std::floor(std::log10(lo) + 1e-9));
    const double ceil_power = std::pow(10.0, std::ceil(std::log10(hi) - 1e-9));
    return svg::scale::logarithmic(floor_power, std::max(ceil_power, floor_power * 10), left, right);
  }
  const double top = svg::nice_domain(0, std::max(hi, 0.0), 5).second;
  return svg::scale::linear(std::min(0.0, lo), top > 0 ? top : 1, left, right);
}

std::vector<double> panel_ticks(const bar_panel& panel, const svg::scale& s) {
  return panel.log ? svg::log_ticks(s.domain_lo(), s.domain_hi(), 10) : svg::linear_ticks(s.domain_lo(), s.domain_hi(), 5);
}

std::string text_at(double x, double y, const std::string& text, const std::string& extra = "") {
  return "<text x=\"" + number(x, 1) + "\" y=\"" + number(y, 1) + "\"" + extra + ">" + report::escape(text) + "</text>\n";
}

}  // namespace

const std::vector<std::string>& bar_colours() {
  static const std::vector<std::string> colours{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
  return colours;
}

std::string render_bar_chart(const bar_chart& chart) {
  std::size_t longest = 8;
  for (const bar_panel& panel : chart.panels) {
    for (const bar_row& row : panel.rows) longest = std::max(longest, row.label.size());
  }
  const double label_width = std::min(300.0, char_width * static_cast<double>(longest) + 8);
  const double left = margin + label_width, right = chart.width - value_room;
  std::ostringstream body;
  double y = 26;
  body << text_at(margin, y, chart.title, " font-size=\"14\" font-weight=\"bold\"");
  for (const std::string& line : wrapped(chart.machine, machine_wrap)) {
    y += 15;
    body << text_at(margin, y, line, " fill=\"#555\"");
  }
  y += 14;
  for (const bar_panel& panel : chart.panels) {
    y += 22;
    body << text_at(margin, y, panel.title, " font-weight=\"bold\"");
    if (panel.series.size() > 1) {
      y += 16;
      double x = left;
      for (std::size_t s = 0; s < panel.series.size(); ++s) {
        const std::string& colour = bar_colours()[s % bar_colours().size()];
        body << "<rect x=\"" << number(x, 1) << "\" y=\"" << number(y - 9, 1) << "\" width=\"10\" height=\"10\" fill=\""
             << colour << "\"/>\n"
             << text_at(x + 14, y, panel.series[s]);
        x += 14 + char_width * static_cast<double>(panel.series[s].size()) + 18;
      }
    }
    y += 8;
    const svg::scale scale = panel_scale(panel, left, right);
    const double top = y;
    std::ostringstream bars;
    for (const bar_row& row : panel.rows) {
      const double row_height = static_cast<double>(std::max<std::size_t>(1, row.values.size())) * (bar_height + bar_gap);
      bars << text_at(left - 6, y + row_height / 2 + 3, row.label, " text-anchor=\"end\"");
      for (std::size_t s = 0; s < row.values.size(); ++s) {
        const double v = row.values[s];
        const double bar_top = y + static_cast<double>(s) * (bar_height + bar_gap);
        if (!measured(v, panel.log)) {
          bars << text_at(left + 4, bar_top + bar_height - 2, "–", " fill=\"#888\"");
          continue;
        }
        const double start = scale(panel.log ? scale.domain_lo() : 0.0), end = scale(v);
        const double x = std::min(start, end), width = std::max(0.5, std::abs(end - start));
        const std::string& colour = bar_colours()[s % bar_colours().size()];
        const std::string series = s < panel.series.size() ? panel.series[s] + ", " : "";
        bars << "<rect x=\"" << number(x, 1) << "\" y=\"" << number(bar_top, 1) << "\" width=\"" << number(width, 1)
             << "\" height=\"" << number(bar_height, 1) << "\" fill=\"" << colour << "\"><title>"
             << report::escape(row.label + ": " + series + number(v, panel.decimals) + panel.suffix) << "</title></rect>\n"
             << text_at(x + width + 4, bar_top + bar_height - 2, number(v, panel.decimals) + panel.suffix);
      }
      y += row_height + row_gap;
    }
    const double bottom = y;
    for (double tick : panel_ticks(panel, scale)) {
      const double x = scale(tick);
      body << "<line x1=\"" << number(x, 1) << "\" y1=\"" << number(top, 1) << "\" x2=\"" << number(x, 1) << "\" y2=\""
           << number(bottom, 1) << "\" stroke=\"#e4e4e4\"/>\n"
           << text_at(x, bottom + 12, tick_text(tick), " text-anchor=\"middle\" fill=\"#555\" font-size=\"10\"");
    }
    body << bars.str();
    if (panel.reference > 0) {
      const double x = scale(panel.reference);
      body << "<line x1=\"" << number(x, 1) << "\" y1=\"" << number(top - 4, 1) << "\" x2=\"" << number(x, 1)
           << "\" y2=\"" << number(bottom, 1) << "\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>\n";
      if (!panel.reference_label.empty()) body << text_at(x + 4, top + 2, panel.reference_label, " fill=\"#333\" font-size=\"10\"");
    }
    body << "<line x1=\"" << number(left, 1) << "\" y1=\"" << number(bottom, 1) << "\" x2=\"" << number(right, 1)
         << "\" y2=\"" << number(bottom, 1) << "\" stroke=\"#888\"/>\n";
    y = bottom + 14;
  }
  const double height = y + margin;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << number(chart.width, 0) << "\" height=\""
      << number(height, 0) << "\" viewBox=\"0 0 " << number(chart.width, 0) << ' ' << number(height, 0)
      << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << body.str() << "</svg>\n";
  return svg.str();
}

void write_bar_chart(const std::string& path, const bar_chart& chart) {
  std::ofstream out(path, std::ios::binary);
  out << render_bar_chart(chart);
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace kmq::bench
