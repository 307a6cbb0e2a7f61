// The report's hand-written SVG plots: well-formed XML with the expected
// elements, data mapped into the plot box, nice ticks, a log axis for K.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "html_text.hpp"
#include "svg_plot.hpp"
#include "xml_reader.hpp"

namespace kmq::svg {
namespace {

using xml_test::element;
using xml_test::parse;

std::vector<std::pair<double, double>> polyline_points(const element& polyline) {
  std::vector<std::pair<double, double>> out;
  std::istringstream in(polyline.attributes.at("points"));
  std::string pair;
  while (in >> pair) {
    const std::size_t comma = pair.find(',');
    out.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
  }
  return out;
}

std::vector<std::string> texts(const element& root) {
  std::vector<std::string> out;
  for (const element* t : root.all("text")) out.push_back(t->text);
  return out;
}

bool contains(const std::vector<std::string>& all, const std::string& wanted) {
  return std::find(all.begin(), all.end(), wanted) != all.end();
}

line_plot elbow_like() {
  line_plot plot;
  plot.id = "elbow";
  plot.title = "WCSS against K";
  plot.description = "eight points";
  plot.x = {"K", true, 2, false, true};
  plot.y = {"WCSS", false, 10, true, false};
  series s;
  for (int k = 2; k <= 256; k *= 2) {
    s.x.push_back(k);
    s.y.push_back(6e8 / k);
    s.titles.push_back("K = " + std::to_string(k));
  }
  plot.lines.push_back(s);
  plot.marks.push_back({16, 6e8 / 16, "K = 16", true});
  return plot;
}

// ---- ticks and scales ------------------------------------------------------------

TEST(SvgPlot, LinearTicksAreOneTwoFiveTimesAPowerOfTen) {
  EXPECT_EQ(linear_ticks(0, 100, 5), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  const std::vector<double> unit = linear_ticks(0, 1, 4);
  ASSERT_EQ(unit.size(), 6u);
  for (std::size_t i = 0; i < unit.size(); ++i) EXPECT_NEAR(unit[i], 0.2 * static_cast<double>(i), 1e-12);
  const std::vector<double> wcss = linear_ticks(80e6, 115e6, 5);
  ASSERT_GE(wcss.size(), 4u);
  EXPECT_DOUBLE_EQ(wcss[1] - wcss[0], 5e6);
  EXPECT_GE(wcss.front(), 80e6);
  EXPECT_LE(wcss.back(), 115e6);
}

TEST(SvgPlot, NiceDomainWidensToTicksAndGivesOneValueRoom) {
  EXPECT_EQ(nice_domain(3, 97, 5), (std::pair<double, double>(0, 100)));
  const auto flat = nice_domain(42, 42, 5);
  EXPECT_LT(flat.first, 42);
  EXPECT_GT(flat.second, 42);
}

TEST(SvgPlot, LogTicksArePowersOfTheBase) {
  EXPECT_EQ(log_ticks(2, 256, 2), (std::vector<double>{2, 4, 8, 16, 32, 64, 128, 256}));
  EXPECT_EQ(log_ticks(1, 1000, 10), (std::vector<double>{1, 10, 100, 1000}));
  EXPECT_EQ(log_ticks(3, 20, 2), (std::vector<double>{4, 8, 16}));
  EXPECT_TRUE(log_ticks(0, 10, 2).empty());
}

TEST(SvgPlot, ScalesMapTheDomainOntoTheRange) {
  const scale lin = scale::linear(0, 10, 100, 200);
  EXPECT_DOUBLE_EQ(lin(0), 100);
  EXPECT_DOUBLE_EQ(lin(5), 150);
  EXPECT_DOUBLE_EQ(lin(10), 200);
  const scale down = scale::linear(0, 10, 300, 100);  // SVG y grows downwards
  EXPECT_DOUBLE_EQ(down(10), 100);
  const scale log = scale::logarithmic(2, 256, 0, 700);
  EXPECT_NEAR(log(2), 0, 1e-9);
  EXPECT_NEAR(log(256), 700, 1e-9);
  EXPECT_NEAR(log(4) - log(2), log(256) - log(128), 1e-9);  // each doubling, the same step
  EXPECT_NEAR(log(16), 300, 1e-9);                          // 2^4 of 2^1..2^8
}

// ---- the line plot -----------------------------------------------------------------

TEST(SvgPlot, LinePlotIsWellFormedWithItsParts) {
  const line_plot plot = elbow_like();
  const std::string svg = render_line_plot(plot);
  const auto root = parse(svg);
  EXPECT_EQ(root->name, "svg");
  EXPECT_EQ(root->attributes["viewBox"], "0 0 640 320");
  EXPECT_EQ(root->attributes["role"], "img");
  EXPECT_EQ(root->attributes["id"], "elbow");
  ASSERT_EQ(root->all("title").size(), 1u + 8u);  // the plot's, then one per marker
  EXPECT_EQ(root->all("title")[0]->text, "WCSS against K");
  EXPECT_EQ(root->all("desc").size(), 1u);
  EXPECT_EQ(root->all("polyline").size(), 1u);
  EXPECT_EQ(root->all("circle").size(), 8u + 1u);  // markers and the highlighted K
  const std::vector<std::string> labels = texts(*root);
  for (const char* tick : {"2", "4", "8", "16", "32", "64", "128", "256"}) EXPECT_TRUE(contains(labels, tick)) << tick;
  EXPECT_TRUE(contains(labels, "K"));
  EXPECT_TRUE(contains(labels, "WCSS"));
  EXPECT_TRUE(contains(labels, "K = 16"));
  EXPECT_TRUE(contains(labels, "0"));  // from_zero
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_EQ(svg.find("http"), std::string::npos);
}

// A mark at the right edge (K = 256 chosen) has its label left of the point,
// inside the plot; the falling curve's usual side would cut it off.
TEST(SvgPlot, AMarkAtTheEdgeKeepsItsLabelInsideThePlot) {
  line_plot plot = elbow_like();
  plot.marks = {{256, 6e8 / 256, "K = 256", true}};
  const auto root = parse(render_line_plot(plot));
  const box b = plot_area(plot);
  bool found = false;
  for (const auto* t : root->all("text")) {
    if (t->text != "K = 256") continue;
    found = true;
    EXPECT_EQ(t->attributes.at("text-anchor"), "end");
    EXPECT_LE(std::stod(t->attributes.at("x")), b.right);
  }
  EXPECT_TRUE(found);
}

// A share that rounds to nothing but is not nothing says so.
TEST(HtmlText, PercentOfATinyShareIsNotZero) {
  EXPECT_EQ(report::percent(0.4583, 2), "45.83\xc2\xa0%");
  EXPECT_EQ(report::percent(0.0, 1), "0.0\xc2\xa0%");
  EXPECT_EQ(report::percent(158.0 / 1100000.0, 1), "<\xc2\xa0" "0.1\xc2\xa0%");
  EXPECT_EQ(report::percent(0.0006, 1), "0.1\xc2\xa0%");
}

TEST(SvgPlot, CompactNumbersUseOneNotation) {
  EXPECT_EQ(report::compact(5000), "5k");
  EXPECT_EQ(report::compact(15000), "15k");
  EXPECT_EQ(report::compact(1234), "1.23k");
  EXPECT_EQ(report::compact(999), "999");
  EXPECT_EQ(report::compact(2.5e6), "2.5M");
}

TEST(SvgPlot, PointsLandWhereTheScalesPutThemInsideThePlotBox) {
  const line_plot plot = elbow_like();
  const auto root = parse(render_line_plot(plot));
  const auto points = polyline_points(*root->all("polyline").at(0));
  const scale sx = x_scale(plot), sy = y_scale(plot);
  const box b = plot_area(plot);
  ASSERT_EQ(points.size(), plot.lines[0].x.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_NEAR(points[i].first, sx(plot.lines[0].x[i]), 0.051) << i;
    EXPECT_NEAR(points[i].second, sy(plot.lines[0].y[i]), 0.051) << i;
    EXPECT_GE(points[i].first, b.left);
    EXPECT_LE(points[i].first, b.right);
    EXPECT_GE(points[i].second, b.top);
    EXPECT_LE(points[i].second, b.bottom);
  }
  // Log K axis: the doublings are evenly spaced; WCSS falls, so y grows downwards.
  for (std::size_t i = 2; i < points.size(); ++i)
    EXPECT_NEAR(points[i].first - points[i - 1].first, points[1].first - points[0].first, 0.11);
  for (std::size_t i = 1; i < points.size(); ++i) EXPECT_GT(points[i].second, points[i - 1].second);
  // The y axis starts at zero: 0 maps to the bottom of the data area.
  EXPECT_DOUBLE_EQ(sy.domain_lo(), 0);
  // The highlighted point sits on the line's point for K = 16.
  const element* mark = root->all("circle").back();
  EXPECT_NEAR(mark->number("cx"), points[3].first, 0.051);
  EXPECT_NEAR(mark->number("cy"), points[3].second, 0.051);
}

TEST(SvgPlot, LinearAxisTicksSitOnTheirGridLines) {
  line_plot plot;
  plot.id = "wcss";
  plot.x = {"Lloyd pass", false, 10, false, true};
  plot.y = {"WCSS", false, 10, false, false};
  series s;
  for (int i = 1; i <= 45; ++i) {
    s.x.push_back(i);
    s.y.push_back(83e6 + 30e6 / i);
  }
  plot.lines.push_back(s);
  const auto root = parse(render_line_plot(plot));
  const scale sx = x_scale(plot);
  EXPECT_LE(sx.domain_lo(), 1);
  EXPECT_GE(sx.domain_hi(), 45);
  // Every x tick label is an integer and sits under its tick mark.
  std::size_t x_ticks = 0;
  for (const element* g : root->all("g")) {
    if (g->attributes.count("class") == 0 || g->attributes.at("class") != "axis x-axis") continue;
    for (const auto& child : g->children) {
      const element* tick = child.get();
      if (tick->name != "g") continue;
      const element* label = tick->all("text").at(0);
      const double value = std::stod(label->text);
      EXPECT_EQ(value, std::floor(value));
      EXPECT_NEAR(label->number("x"), sx(value), 0.051);
      EXPECT_NEAR(tick->all("line").at(0)->number("x1"), sx(value), 0.051);
      ++x_ticks;
    }
  }
  EXPECT_GE(x_ticks, 4u);
  EXPECT_LE(x_ticks, 12u);
}

TEST(SvgPlot, TextIsEscaped) {
  line_plot plot = elbow_like();
  plot.title = "a <b> & \"c\"";
  plot.lines[0].titles[0] = "<script>alert(1)</script>";
  const std::string svg = render_line_plot(plot);
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  const auto root = parse(svg);
  EXPECT_EQ(root->all("title")[0]->text, "a <b> & \"c\"");
}

TEST(SvgPlot, OnePointAndFlatDataStillGiveAPlot) {
  line_plot plot;
  plot.id = "one";
  series s;
  s.x = {1};
  s.y = {5};
  plot.lines.push_back(s);
  std::string svg = render_line_plot(plot);
  parse(svg);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  plot.lines[0].x = {1, 2, 3};
  plot.lines[0].y = {7, 7, 7};
  svg = render_line_plot(plot);
  parse(svg);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

// The elbow curve of a one-colour image: one point at K = 1, WCSS 0. The K
// axis has no fractional tick (its 0.5 read as a second "1"), and the WCSS
// axis, from zero, no negative range.
TEST(SvgPlot, ADegenerateElbowHasNoRepeatedOrNegativeTicks) {
  line_plot plot;
  plot.id = "elbow-one";
  plot.x = {"K (palette size)", true, 2, false, true};
  plot.y = {"WCSS", false, 10, true, false};
  series s;
  s.x = {1};
  s.y = {0};
  plot.lines.push_back(s);
  const auto root = parse(render_line_plot(plot));
  EXPECT_GE(y_scale(plot).domain_lo(), 0.0);
  std::vector<std::string> labels;
  for (const element* g : root->all("g")) {
    if (g->attributes.count("class") == 0) continue;
    const std::string kind = g->attributes.at("class");
    if (kind != "axis x-axis" && kind != "axis y-axis") continue;
    for (const element* text : g->all("text")) {
      if (kind == "axis y-axis") EXPECT_EQ(text->text.find('-'), std::string::npos) << text->text;
      if (kind == "axis x-axis") labels.push_back(text->text);
    }
  }
  std::vector<std::string> distinct = labels;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  EXPECT_EQ(distinct.size(), labels.size()) << "a tick label repeats";
}

// ---- the scatter -------------------------------------------------------------------

TEST(SvgPlot, ScatterDrawsGroupsLargestFirstAndOutlinedCentres) {
  scatter_plot plot;
  plot.id = "rg";
  plot.title = "R against G";
  plot.x_label = "R";
  plot.y_label = "G";
  plot.groups = {{"#ff0000", "red", {{250, 10}, {240, 20}}},
                 {"#00ff00", "green", {{10, 250}, {20, 240}, {0, 255}}},
                 {"#0000ff", "empty", {}}};
  plot.centres = {{245, 15, "#ff0000", "red centre"}, {10, 248, "#00ff00", "green centre"}};
  const std::string svg = render_scatter(plot);
  const auto root = parse(svg);
  const auto paths = root->all("path");
  ASSERT_EQ(paths.size(), 2u);  // no path for an empty group
  EXPECT_EQ(paths[0]->attributes.at("stroke"), "#00ff00");  // three points, drawn first
  EXPECT_EQ(paths[1]->attributes.at("stroke"), "#ff0000");
  const std::string& d = paths[0]->attributes.at("d");
  EXPECT_EQ(std::count(d.begin(), d.end(), 'M'), 3);
  const box b = scatter_area(plot);
  const scale sx = scale::linear(0, 255, b.left + 6, b.right - 6), sy = scale::linear(0, 255, b.bottom - 6, b.top + 6);
  std::vector<const element*> centres;
  for (const element* c : root->all("circle"))
    if (c->attributes.at("class") == "centre") centres.push_back(c);
  ASSERT_EQ(centres.size(), 2u);
  EXPECT_NEAR(centres[0]->number("cx"), sx(245), 0.051);
  EXPECT_NEAR(centres[0]->number("cy"), sy(15), 0.051);
  EXPECT_EQ(centres[0]->attributes.at("fill"), "#ff0000");
  EXPECT_EQ(root->all("circle").size(), 4u);  // a halo under each centre
  // The first point of the green path is (10, 250), mapped.
  std::istringstream first(d.substr(1));
  double x = 0, y = 0;
  first >> x >> y;
  EXPECT_NEAR(x, sx(10), 0.051);
  EXPECT_NEAR(y, sy(250), 0.051);
  for (const char* tick : {"0", "64", "128", "192", "255"}) EXPECT_TRUE(contains(texts(*root), tick));
}

}  // namespace
}  // namespace kmq::svg
