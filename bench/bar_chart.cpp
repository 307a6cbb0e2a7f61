#include "bar_chart.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "html_text.hpp"

// Every step below is bench/bar_chart.py's, operation for operation, so that
// the two write the same bytes (tests/bench/test_bar_chart.py compares them on
// tests/bench/bar_chart_cases.json through bar_chart_render).
namespace kmq::bench {
namespace {

constexpr double margin = 10, bar_height = 12, bar_gap = 2, row_gap = 6, char_width = 6.2;
constexpr double value_room = 76;       // right of the plot: the longest bar's value
constexpr double most_label_width = 300;
constexpr std::size_t machine_wrap = 118;

std::string number(double value, int decimals) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

// A tick's text: "10k" and "1M" for large values, "0.005" as %g otherwise.
std::string tick_text(double value) {
  if (value != 0 && (std::abs(value) >= 1e4 || std::abs(value) < 1e-2)) return report::compact(value);
  std::ostringstream out;
  out << value;
  return out.str();
}

// Characters, not bytes: labels and machine lines are UTF-8.
std::size_t code_points(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// The label as drawn: past the label column's width, its first characters and "…".
std::string shortened(const std::string& label) {
  const auto most = static_cast<std::size_t>((most_label_width - 8) / char_width);
  if (code_points(label) <= most) return label;
  std::size_t kept = 0, end = 0;
  while (end < label.size() && kept < most - 1) {
    ++end;
    while (end < label.size() && (static_cast<unsigned char>(label[end]) & 0xc0) == 0x80) ++end;
    ++kept;
  }
  return label.substr(0, end) + "\xe2\x80\xa6";
}

// Lines of at most `width` characters, broken at spaces (a longer word stays whole).
std::vector<std::string> wrapped(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string line;
  for (std::string word; words >> word;) {
    if (!line.empty() && code_points(line) + 1 + code_points(word) > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

bool measured(double value, bool log) { return std::isfinite(value) && (!log || value > 0); }

// The first tick of 1, 2 or 5 times a power of ten at or above hi, about five ticks up to it, and their step.
std::pair<double, double> nice_top(double hi) {
  if (hi <= 0) return {1.0, 0.2};
  const double raw = hi / 5;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  const double step = (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * power;
  return {std::ceil(hi / step - 1e-9) * step, step};
}

// A panel's axis: where a value lands, its ticks and where its bars start.
struct axis {
  bool log = false;
  double lo = 0, hi = 1, left = 0, right = 1;
  std::vector<double> ticks;
  double start = 0;
  double operator()(double v) const {
    return log ? left + (right - left) * (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
               : left + (right - left) * (v - lo) / (hi - lo);
  }
};

// Linear from 0 (or from the tick at or below the least negative value) to the
// tick at or past the largest; log from the power of ten at or below the
// least value to the one at or above the largest (a decade at least).
axis panel_axis(const bar_panel& panel, double left, double right) {
  std::vector<double> values;
  for (const bar_row& row : panel.rows) {
    for (double v : row.values) {
      if (measured(v, panel.log)) values.push_back(v);
    }
  }
  if (panel.reference > 0) values.push_back(panel.reference);
  const auto least = values.empty() ? std::optional<double>() : *std::min_element(values.begin(), values.end());
  const auto most = values.empty() ? std::optional<double>() : *std::max_element(values.begin(), values.end());
  axis a;
  a.log = panel.log;
  a.left = left;
  a.right = right;
  if (panel.log) {
    a.lo = std::pow(10.0, std::floor(std::log10(least.value_or(1)) + 1e-9));
    a.hi = std::max(std::pow(10.0, std::ceil(std::log10(most.value_or(10)) - 1e-9)), a.lo * 10);
    for (double t = a.lo; t <= a.hi * (1 + 1e-9); t *= 10) a.ticks.push_back(t);
    a.start = a.lo;
    return a;
  }
  auto [top, step] = nice_top(most.value_or(1));
  double low = std::min(0.0, least.value_or(0));
  if (low < 0) {  // negative values (a change in per cent): the axis reaches them too
    step = nice_top(top - low).second;
    low = std::floor(low / step + 1e-9) * step;
    top = std::ceil(top / step - 1e-9) * step;
  }
  const long count = std::lround((top - low) / step);
  for (long i = 0; i <= count; ++i) a.ticks.push_back(low + static_cast<double>(i) * step);
  a.lo = low;
  a.hi = top;
  return a;
}

std::string text_at(double x, double y, const std::string& text, const std::string& extra = "") {
  return "<text x=\"" + number(x, 1) + "\" y=\"" + number(y, 1) + "\"" + extra + ">" + report::escape(text) + "</text>";
}

std::string line_at(double x1, double y1, double x2, double y2, const std::string& style) {
  return "<line x1=\"" + number(x1, 1) + "\" y1=\"" + number(y1, 1) + "\" x2=\"" + number(x2, 1) + "\" y2=\"" +
         number(y2, 1) + "\" " + style + "/>";
}

const std::string& colour_of(std::size_t series) { return bar_colours()[series % bar_colours().size()]; }

}  // namespace

const std::vector<std::string>& bar_colours() {
  static const std::vector<std::string> colours{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
  return colours;
}

std::string render_bar_chart(const bar_chart& chart) {
  std::size_t longest = 8;
  for (const bar_panel& panel : chart.panels) {
    for (const bar_row& row : panel.rows) longest = std::max(longest, code_points(shortened(row.label)));
  }
  const double label_width = std::min(most_label_width, char_width * static_cast<double>(longest) + 8);
  const double left = margin + label_width, right = chart.width - value_room;
  std::vector<std::string> out;
  double y = 26;
  out.push_back(text_at(margin, y, chart.title, " font-size=\"14\" font-weight=\"bold\""));
  for (const std::string& line : wrapped(chart.machine, machine_wrap)) {
    y += 15;
    out.push_back(text_at(margin, y, line, " fill=\"#555\""));
  }
  y += 14;
  for (const bar_panel& panel : chart.panels) {
    y += 22;
    out.push_back(text_at(margin, y, panel.title, " font-weight=\"bold\""));
    if (panel.series.size() > 1) {
      y += 16;
      double x = left;
      for (std::size_t s = 0; s < panel.series.size(); ++s) {
        out.push_back("<rect x=\"" + number(x, 1) + "\" y=\"" + number(y - 9, 1) + "\" width=\"10\" height=\"10\" fill=\"" +
                      colour_of(s) + "\"/>");
        out.push_back(text_at(x + 14, y, panel.series[s]));
        x += 14 + char_width * static_cast<double>(code_points(panel.series[s])) + 18;
      }
    }
    y += 8;
    const axis to_x = panel_axis(panel, left, right);
    const double top = y;
    std::vector<std::string> bars;
    for (const bar_row& row : panel.rows) {
      const double row_height = static_cast<double>(std::max<std::size_t>(1, row.values.size())) * (bar_height + bar_gap);
      bars.push_back(text_at(left - 6, y + row_height / 2 + 3, shortened(row.label), " text-anchor=\"end\""));
      for (std::size_t s = 0; s < row.values.size(); ++s) {
        const double v = row.values[s];
        const double bar_top = y + static_cast<double>(s) * (bar_height + bar_gap);
        if (!measured(v, panel.log)) {
          bars.push_back(text_at(left + 4, bar_top + bar_height - 2, "\xe2\x80\x93", " fill=\"#888\""));
          continue;
        }
        const double x0 = to_x(to_x.start), x1 = to_x(v);
        const double x = std::min(x0, x1), width = std::max(0.5, std::abs(x1 - x0));
        const std::string shown = number(v, panel.decimals) + panel.suffix;
        const std::string series = s < panel.series.size() ? panel.series[s] + ", " : "";
        bars.push_back("<rect x=\"" + number(x, 1) + "\" y=\"" + number(bar_top, 1) + "\" width=\"" + number(width, 1) +
                       "\" height=\"" + number(bar_height, 1) + "\" fill=\"" + colour_of(s) + "\"><title>" +
                       report::escape(shortened(row.label) + ": " + series + shown) + "</title></rect>");
        bars.push_back(text_at(x + width + 4, bar_top + bar_height - 2, shown));
      }
      y += row_height + row_gap;
    }
    const double bottom = y;
    for (double tick : to_x.ticks) {
      const double x = to_x(tick);
      out.push_back(line_at(x, top, x, bottom, "stroke=\"#e4e4e4\""));
      out.push_back(text_at(x, bottom + 12, tick_text(tick), " text-anchor=\"middle\" fill=\"#555\" font-size=\"10\""));
    }
    out.insert(out.end(), bars.begin(), bars.end());
    if (panel.reference > 0) {
      const double x = to_x(panel.reference);
      out.push_back(line_at(x, top - 4, x, bottom, "stroke=\"#333\" stroke-dasharray=\"4 3\""));
      if (!panel.reference_label.empty()) {
        out.push_back(text_at(x + 4, top + 2, panel.reference_label, " fill=\"#333\" font-size=\"10\""));
      }
    }
    out.push_back(line_at(left, bottom, right, bottom, "stroke=\"#888\""));
    y = bottom + 14;
  }
  const double height = y + margin;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(chart.width, 0) + "\" height=\"" +
                    number(height, 0) + "\" viewBox=\"0 0 " + number(chart.width, 0) + ' ' + number(height, 0) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (const std::string& element : out) svg += element + "\n";
  return svg + "</svg>\n";
}

void write_bar_chart(const std::string& path, const bar_chart& chart) {
  std::ofstream out(path, std::ios::binary);
  out << render_bar_chart(chart);
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace kmq::bench
