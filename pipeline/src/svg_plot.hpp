// Hand-written SVG plots for the report: a line plot (axes, grid, ticks,
// labels, polylines, point markers with tooltips, highlighted points) and a
// scatter plot of colours. No plotting runtime; the page's CSS styles the
// classes (.grid, .axis, .line, .marker, .highlight, .pts, .centre). The SVG
// is well-formed XML and carries no xmlns (inline in HTML it needs none).
// Internal to kmq_pipeline; tested by tests/test_svg_plot.cpp.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace kmq::svg {

// The plot area inside the SVG's viewBox, in SVG units.
struct box {
  double left = 0, top = 0, right = 0, bottom = 0;
};

// Data -> SVG coordinate along one axis: linear, or logarithmic (any base;
// the domain must then be positive).
class scale {
 public:
  static scale linear(double domain_lo, double domain_hi, double range_lo, double range_hi);
  static scale logarithmic(double domain_lo, double domain_hi, double range_lo, double range_hi);
  double operator()(double value) const;
  double domain_lo() const { return lo_; }
  double domain_hi() const { return hi_; }
  bool is_log() const { return log_; }

 private:
  double lo_ = 0, hi_ = 1, range_lo_ = 0, range_hi_ = 1;
  bool log_ = false;
};

// Ticks at 1, 2 or 5 times a power of ten, about `count` of them, covering [lo, hi].
std::vector<double> linear_ticks(double lo, double hi, int count);
// [lo, hi] widened to the ticks around it (a one-value range gets some room).
std::pair<double, double> nice_domain(double lo, double hi, int count);
// Powers of base within [lo, hi] (base 2: 2, 4, 8, ...; base 10: 1, 10, 100, ...).
std::vector<double> log_ticks(double lo, double hi, double base);

struct axis {
  std::string label;
  bool log = false;         // logarithmic, ticks at powers of log_base
  double log_base = 10;
  bool from_zero = false;   // linear: the domain starts at 0 (at the lowest value, if negative)
  bool integer = false;     // integer ticks only
};

struct series {
  std::string name;                 // legend text (no legend for a single unnamed series)
  std::vector<double> x, y;
  std::vector<std::string> titles;  // a tooltip per point; empty: none
  int style = 0;                    // CSS class s<style>: colour of line and markers
  bool markers = true;
};

// A point drawn larger, with a dashed rule down to the x axis and a label.
struct highlight {
  double x = 0, y = 0;
  std::string label;
  bool has_point = true;  // false: the rule alone, across the whole plot (x not among the data)
};

struct line_plot {
  std::string id;           // prefix of element ids (title, desc); unique in the page
  std::string title, description;
  axis x, y;
  std::vector<series> lines;
  std::vector<highlight> marks;
  double width = 640, height = 320;
};

box plot_area(const line_plot& plot);
scale x_scale(const line_plot& plot);  // the scales render_line_plot uses
scale y_scale(const line_plot& plot);
std::string render_line_plot(const line_plot& plot);

// Colours in a plane: points in groups of one colour (drawn as round dots, one
// <path> per group, largest group first), and centres drawn larger with an
// outline. Both axes run over [lo, hi].
struct scatter_group {
  std::string colour;  // CSS colour, e.g. "#a1b2c3"
  std::string title;
  std::vector<std::pair<double, double>> points;
};

struct scatter_centre {
  double x = 0, y = 0;
  std::string colour;
  std::string title;
};

struct scatter_plot {
  std::string id, title, description;
  std::string x_label, y_label;
  double lo = 0, hi = 255;
  std::vector<double> ticks{0, 64, 128, 192, 255};
  std::vector<scatter_group> groups;
  std::vector<scatter_centre> centres;
  double size = 360;  // the SVG is size x size
};

box scatter_area(const scatter_plot& plot);
std::string render_scatter(const scatter_plot& plot);

}  // namespace kmq::svg
