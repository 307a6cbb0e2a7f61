// The benchmarks' SVG bar charts (bench/bar_chart.hpp): well-formed XML, bar
// lengths proportional to the values (linear and log axes), the reference
// line where a bar of its value would end, unmeasured values drawn as "–",
// names escaped, the legend only for several series, the machine line whole.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "bar_chart.hpp"
#include "xml_reader.hpp"

namespace kmq::bench {
namespace {

using xml_test::element;
using xml_test::parse;

// The bars: <rect>s with a <title> (the background and legend swatches have none).
std::vector<const element*> bars(const element& root) {
  std::vector<const element*> out;
  for (const element* r : root.all("rect")) {
    if (!r->children.empty()) out.push_back(r);
  }
  return out;
}

std::vector<std::string> texts(const element& root) {
  std::vector<std::string> out;
  for (const element* t : root.all("text")) out.push_back(t->text);
  return out;
}

bool has_text(const element& root, const std::string& wanted) {
  for (const std::string& t : texts(root)) {
    if (t == wanted) return true;
  }
  return false;
}

TEST(BenchBarChart, LinearBarsAreProportionalToTheirValues) {
  bar_panel panel{"ms", {}, {{"a", {10}}, {"b", {25}}, {"c", {40}}}, false, 0, "", 1, " ms"};
  const auto root = parse(render_bar_chart({"title", "machine", {panel}}));
  const auto b = bars(*root);
  ASSERT_EQ(b.size(), 3u);
  const double x0 = b[0]->number("x");
  for (const element* r : b) EXPECT_DOUBLE_EQ(r->number("x"), x0);  // all from the axis's 0
  EXPECT_NEAR(b[1]->number("width") / b[0]->number("width"), 2.5, 0.02);
  EXPECT_NEAR(b[2]->number("width") / b[0]->number("width"), 4.0, 0.02);
  EXPECT_TRUE(has_text(*root, "25.0 ms"));
  EXPECT_EQ(root->name, "svg");
  EXPECT_EQ(root->attributes.at("xmlns"), "http://www.w3.org/2000/svg");
}

TEST(BenchBarChart, LogBarsGrowByTheLogarithmAndTheReferenceSitsAtItsValue) {
  bar_panel panel{"speed-up", {}, {{"x", {10}}, {"y", {100}}, {"z", {1000}}}, true, 1, "parity", 1, "x"};
  const auto root = parse(render_bar_chart({"t", "m", {panel}}));
  const auto b = bars(*root);
  ASSERT_EQ(b.size(), 3u);
  // The axis runs from 1 (the reference, the least value's power of ten) to 1000:
  // 10, 100 and 1000 end at 1/3, 2/3 and all of it.
  EXPECT_NEAR(b[1]->number("width") / b[0]->number("width"), 2.0, 0.02);
  EXPECT_NEAR(b[2]->number("width") / b[0]->number("width"), 3.0, 0.02);
  const element* dashed = nullptr;
  for (const element* l : root->all("line")) {
    if (l->attributes.count("stroke-dasharray")) dashed = l;
  }
  ASSERT_NE(dashed, nullptr);
  EXPECT_NEAR(dashed->number("x1"), b[0]->number("x"), 0.1);  // 1x: where the bars start
  EXPECT_TRUE(has_text(*root, "parity"));
  EXPECT_TRUE(has_text(*root, "1000.0x"));
}

TEST(BenchBarChart, AReferenceOnALinearAxisIsWhereABarOfItsValueEnds) {
  bar_panel panel{"ratio", {}, {{"one", {1.0}}, {"half", {0.5}}}, false, 1, "", 3, ""};
  const auto root = parse(render_bar_chart({"t", "m", {panel}}));
  const auto b = bars(*root);
  ASSERT_EQ(b.size(), 2u);
  for (const element* l : root->all("line")) {
    if (l->attributes.count("stroke-dasharray")) {
      EXPECT_NEAR(l->number("x1"), b[0]->number("x") + b[0]->number("width"), 0.1);
    }
  }
}

TEST(BenchBarChart, NegativeValuesExtendTheAxisLeftOfZero) {
  bar_panel panel{"change, %", {}, {{"down", {-2}}, {"up", {6}}}, false, 0, "", 1, " %"};
  const auto root = parse(render_bar_chart({"t", "m", {panel}}));
  const auto b = bars(*root);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_NEAR(b[0]->number("x") + b[0]->number("width"), b[1]->number("x"), 0.1);  // both from 0
  EXPECT_NEAR(b[1]->number("width") / b[0]->number("width"), 3.0, 0.02);
  EXPECT_TRUE(has_text(*root, "-2"));  // a tick left of 0
}

TEST(BenchBarChart, AnUnmeasuredValueIsADashNotABar) {
  const double none = std::numeric_limits<double>::quiet_NaN();
  bar_panel panel{"MiB", {"kmq", "peer"}, {{"img", {12, none}}}, false, 0, "", 0, ""};
  const auto root = parse(render_bar_chart({"t", "m", {panel}}));
  EXPECT_EQ(bars(*root).size(), 1u);
  EXPECT_TRUE(has_text(*root, "–"));
  // A log panel draws no bar for a value it cannot place (0 or below).
  bar_panel log_panel{"x", {}, {{"zero", {0}}, {"two", {2}}}, true, 0, "", 1, ""};
  EXPECT_EQ(bars(*parse(render_bar_chart({"t", "m", {log_panel}}))).size(), 1u);
}

TEST(BenchBarChart, NamesAreEscapedAndTheLegendIsDrawnOnlyForSeveralSeries) {
  bar_panel two{"a <b> & c", {"kmq", "cv::kmeans"}, {{"x<y>&\"z\"", {1, 2}}}, false, 0, "", 0, ""};
  const auto root = parse(render_bar_chart({"chart & title", "m", {two}}));
  EXPECT_TRUE(has_text(*root, "x<y>&\"z\""));
  EXPECT_TRUE(has_text(*root, "a <b> & c"));
  EXPECT_TRUE(has_text(*root, "chart & title"));
  EXPECT_TRUE(has_text(*root, "cv::kmeans"));  // the legend
  bar_panel one{"p", {"only"}, {{"x", {1}}}, false, 0, "", 0, ""};
  EXPECT_FALSE(has_text(*parse(render_bar_chart({"t", "m", {one}})), "only"));
}

TEST(BenchBarChart, TheMachineLineIsWrappedWhole) {
  std::string machine;
  for (int i = 0; i < 40; ++i) machine += (i ? " " : "") + std::string("word") + std::to_string(i);
  const auto root = parse(render_bar_chart({"t", machine, {}}));
  std::string joined;
  int lines = 0;
  for (const std::string& t : texts(*root)) {
    if (t.rfind("word", 0) != 0) continue;
    EXPECT_LE(t.size(), 118u);
    joined += (joined.empty() ? "" : " ") + t;
    ++lines;
  }
  EXPECT_EQ(joined, machine);
  EXPECT_GE(lines, 2);
}

TEST(BenchBarChart, PanelsStackAndTheHeightHoldsThemAll) {
  bar_panel first{"one", {}, {{"a", {1}}, {"b", {2}}}, false, 0, "", 0, ""};
  bar_panel second{"two", {}, {{"c", {3}}}, false, 0, "", 0, ""};
  const auto root = parse(render_bar_chart({"t", "m", {first, second}}));
  const auto b = bars(*root);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_LT(b[0]->number("y"), b[1]->number("y"));
  EXPECT_LT(b[1]->number("y"), b[2]->number("y"));
  EXPECT_GT(root->number("height"), b[2]->number("y") + b[2]->number("height"));
}

}  // namespace
}  // namespace kmq::bench
