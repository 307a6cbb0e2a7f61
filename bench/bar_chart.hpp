// Standalone SVG bar charts for the C++ benchmarks' results/ (the Python
// harnesses draw the same with bench/bar_chart.py): one row a table
// row, one horizontal bar a series, panels stacked, each with its own axis
// (linear from 0, or logarithmic for ratios spanning decades) and an optional
// reference line (1x = parity). Colours are inline and xmlns is set, so the
// file opens alone in a browser or a Markdown viewer. Both write the same
// bytes for the same chart (bar_chart_render.cpp draws one from JSON for the
// test that compares them); tested by tests/test_bench_bar_chart.cpp.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace kmq::bench {

struct bar_row {
  std::string label;           // the row's name, left of its bars (shortened with "…" past 300 px)
  std::vector<double> values;  // one a series; NaN: not measured (drawn as "–")
};

struct bar_panel {
  std::string title;                // what the bars measure, with the unit
  std::vector<std::string> series;  // the legend, one name a value (none drawn for one series)
  std::vector<bar_row> rows;
  bool log = false;                 // a logarithmic axis (values must be > 0)
  double reference = 0;             // a dashed line at this value (1 for ratios); 0: none
  std::string reference_label;      // beside the line, e.g. "parity"
  int decimals = 2;                 // of the value printed at each bar's end
  std::string suffix;               // after that value, e.g. "x" or " ms"
};

// A panel of ratios against parity (a dashed line at 1, "parity"), linear or log.
inline bar_panel ratio_panel(std::string title, bool log = false, int decimals = 2, std::string suffix = "x") {
  bar_panel panel;
  panel.title = std::move(title);
  panel.log = log;
  panel.reference = 1;
  panel.reference_label = "parity";
  panel.decimals = decimals;
  panel.suffix = std::move(suffix);
  return panel;
}

// A panel of amounts from 0 (times, sizes, memory), one series a name.
inline bar_panel amount_panel(std::string title, std::vector<std::string> series, int decimals) {
  bar_panel panel;
  panel.title = std::move(title);
  panel.series = std::move(series);
  panel.decimals = decimals;
  return panel;
}

struct bar_chart {
  std::string title;
  std::string machine;  // bench/machine_info.hpp's line, wrapped under the title
  std::vector<bar_panel> panels;
  double width = 760;
};

// The chart as an SVG document.
std::string render_bar_chart(const bar_chart& chart);

// Writes it to path; throws std::runtime_error naming the path when it cannot.
void write_bar_chart(const std::string& path, const bar_chart& chart);

// Series colours, in order (the Python side uses the same).
const std::vector<std::string>& bar_colours();

}  // namespace kmq::bench
