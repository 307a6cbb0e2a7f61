// bar_chart_render SPEC.json: the SVG of the charts a JSON file describes, on
// standard output, one after another (the C++ side of the test that holds
// bench/bar_chart.cpp and bench/bar_chart.py to the same bytes).
//   [{"title": "...", "machine": "...", "panels": [{"title": "...", "series": [...],
//     "rows": [["label", [1.5, null, ...]], ...], "log": false, "reference": 1,
//     "reference_label": "parity", "decimals": 2, "suffix": "x"}, ...]}, ...]
#include <cmath>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "bar_chart.hpp"

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::cerr << "usage: bar_chart_render SPEC.json\n";
    return 64;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "bar_chart_render: cannot read " << argv[1] << '\n';
    return 66;
  }
  for (const nlohmann::json& spec : nlohmann::json::parse(in)) {
    kmq::bench::bar_chart chart;
    chart.title = spec.at("title");
    chart.machine = spec.at("machine");
    for (const nlohmann::json& p : spec.at("panels")) {
      kmq::bench::bar_panel panel;
      panel.title = p.at("title");
      panel.series = p.value("series", std::vector<std::string>{});
      panel.log = p.value("log", false);
      panel.reference = p.value("reference", 0.0);
      panel.reference_label = p.value("reference_label", "");
      panel.decimals = p.value("decimals", 2);
      panel.suffix = p.value("suffix", "");
      for (const nlohmann::json& row : p.at("rows")) {
        kmq::bench::bar_row r;
        r.label = row.at(0);
        for (const nlohmann::json& v : row.at(1)) r.values.push_back(v.is_null() ? std::nan("") : v.get<double>());
        panel.rows.push_back(r);
      }
      chart.panels.push_back(panel);
    }
    std::cout << kmq::bench::render_bar_chart(chart);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bar_chart_render: " << e.what() << '\n';
  return 65;
}
