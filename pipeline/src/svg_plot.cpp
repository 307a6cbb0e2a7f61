#include "svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "html_text.hpp"

namespace kmq::svg {
namespace {

// One decimal is a tenth of an SVG unit: finer than any screen shows.
std::string num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", std::abs(v) < 0.05 ? 0.0 : v);
  std::string s = text;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

std::string attr(const char* name, double v) { return std::string(" ") + name + "=\"" + num(v) + "\""; }

std::string line(double x1, double y1, double x2, double y2, const char* cls = nullptr) {
  std::string out = "<line";
  if (cls != nullptr) out += std::string(" class=\"") + cls + "\"";
  return out + attr("x1", x1) + attr("y1", y1) + attr("x2", x2) + attr("y2", y2) + "/>";
}

std::string text(double x, double y, const std::string& content, const char* cls, const char* anchor,
                 const std::string& extra = "") {
  return std::string("<text class=\"") + cls + "\"" + attr("x", x) + attr("y", y) + " text-anchor=\"" + anchor + "\"" +
         extra + ">" + report::escape(content) + "</text>";
}

std::string header(const std::string& id, const char* cls, double width, double height, const std::string& title,
                   const std::string& description) {
  std::string out = "<svg id=\"" + report::escape(id) + "\" class=\"plot " + cls + "\" viewBox=\"0 0 " + num(width) +
                    " " + num(height) + "\" width=\"" + num(width) + "\" height=\"" + num(height) +
                    "\" role=\"img\" aria-label=\"" + report::escape(title + ". " + description) + "\">";
  out += "<title>" + report::escape(title) + "</title><desc>" + report::escape(description) + "</desc>";
  return out;
}

std::string tick_text(double v, bool integer) {
  if (integer && std::abs(v) < 1e4) return std::to_string(static_cast<long long>(std::llround(v)));
  return report::compact(v);
}

void extent_of(const line_plot& plot, bool x, double& lo, double& hi) {
  lo = std::numeric_limits<double>::infinity();
  hi = -lo;
  for (const series& s : plot.lines)
    for (const double v : x ? s.x : s.y)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  for (const highlight& m : plot.marks) {
    const double v = x ? m.x : m.y;
    if ((x || m.has_point) && std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
}

constexpr double inset = 10;  // data never touches the frame

scale axis_scale(const axis& a, double lo, double hi, double range_lo, double range_hi) {
  if (a.log) {
    lo = std::max(lo, std::numeric_limits<double>::min());
    hi = std::max(hi, lo);
    if (hi <= lo) lo /= a.log_base, hi *= a.log_base;
    return scale::logarithmic(lo, hi, range_lo, range_hi);
  }
  if (a.from_zero) lo = std::min(0.0, lo);
  std::pair<double, double> domain = nice_domain(lo, hi, 5);
  // From zero: values that are all >= 0 never show a negative range (a curve
  // of nothing but zeros once had one down to -1).
  if (a.from_zero) domain.first = lo >= 0 ? 0.0 : std::min(0.0, domain.first);
  return scale::linear(domain.first, domain.second, range_lo, range_hi);
}

std::vector<double> axis_ticks(const axis& a, const scale& s, int count) {
  // An integer axis drops fractional ticks, a log one's too (one point at K=1
  // widens the domain to 0.5-2: its 0.5 was printed as a second "1").
  std::vector<double> ticks =
      a.log ? log_ticks(s.domain_lo(), s.domain_hi(), a.log_base) : linear_ticks(s.domain_lo(), s.domain_hi(), count);
  if (a.integer) {
    ticks.erase(std::remove_if(ticks.begin(), ticks.end(), [](double t) { return t != std::floor(t); }), ticks.end());
  }
  return ticks;
}

}  // namespace

scale scale::linear(double domain_lo, double domain_hi, double range_lo, double range_hi) {
  scale s;
  s.lo_ = domain_lo;
  s.hi_ = domain_hi > domain_lo ? domain_hi : domain_lo + 1;
  s.range_lo_ = range_lo;
  s.range_hi_ = range_hi;
  return s;
}

scale scale::logarithmic(double domain_lo, double domain_hi, double range_lo, double range_hi) {
  scale s = linear(domain_lo, domain_hi, range_lo, range_hi);
  s.hi_ = domain_hi > domain_lo ? domain_hi : domain_lo * 10;
  s.log_ = true;
  return s;
}

double scale::operator()(double value) const {
  const double t = log_ ? (std::log(value) - std::log(lo_)) / (std::log(hi_) - std::log(lo_)) : (value - lo_) / (hi_ - lo_);
  return range_lo_ + t * (range_hi_ - range_lo_);
}

std::vector<double> linear_ticks(double lo, double hi, int count) {
  if (!(hi > lo) || count < 1) return {lo};
  const double raw = (hi - lo) / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  const double step = (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * power;
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::pair<double, double> nice_domain(double lo, double hi, int count) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad, hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, count);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  const double step = (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * power;
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step};
}

std::vector<double> log_ticks(double lo, double hi, double base) {
  std::vector<double> ticks;
  if (!(lo > 0) || !(hi >= lo) || !(base > 1)) return ticks;
  for (double t = std::pow(base, std::ceil(std::log(lo) / std::log(base) - 1e-9)); t <= hi * (1 + 1e-9); t *= base)
    ticks.push_back(t);
  return ticks;
}

box plot_area(const line_plot& plot) {
  bool legend = false;
  for (const series& s : plot.lines) legend = legend || !s.name.empty();
  return box{70, legend ? 30.0 : 14.0, plot.width - 16, plot.height - 46};
}

scale x_scale(const line_plot& plot) {
  const box b = plot_area(plot);
  double lo, hi;
  extent_of(plot, true, lo, hi);
  return axis_scale(plot.x, lo, hi, b.left + inset, b.right - inset);
}

scale y_scale(const line_plot& plot) {
  const box b = plot_area(plot);
  double lo, hi;
  extent_of(plot, false, lo, hi);
  return axis_scale(plot.y, lo, hi, b.bottom - inset, b.top + inset);
}

std::string render_line_plot(const line_plot& plot) {
  const box b = plot_area(plot);
  const scale sx = x_scale(plot), sy = y_scale(plot);
  const std::vector<double> xt = axis_ticks(plot.x, sx, 8), yt = axis_ticks(plot.y, sy, 5);
  std::string out = header(plot.id, "line-plot", plot.width, plot.height, plot.title, plot.description);
  out += "<rect class=\"frame\"" + attr("x", b.left) + attr("y", b.top) + attr("width", b.right - b.left) +
         attr("height", b.bottom - b.top) + "/>";
  out += "<g class=\"grid\">";
  for (const double t : yt) out += line(b.left, sy(t), b.right, sy(t));
  for (const double t : xt) out += line(sx(t), b.top, sx(t), b.bottom);
  out += "</g><g class=\"axis x-axis\">" + line(b.left, b.bottom, b.right, b.bottom, "domain");
  for (const double t : xt)
    out += "<g class=\"tick\">" + line(sx(t), b.bottom, sx(t), b.bottom + 5) +
           text(sx(t), b.bottom + 18, tick_text(t, plot.x.integer || plot.x.log), "tick-label", "middle") + "</g>";
  out += text((b.left + b.right) / 2, plot.height - 6, plot.x.label, "axis-label", "middle");
  out += "</g><g class=\"axis y-axis\">" + line(b.left, b.top, b.left, b.bottom, "domain");
  for (const double t : yt)
    out += "<g class=\"tick\">" + line(b.left - 5, sy(t), b.left, sy(t)) +
           text(b.left - 8, sy(t) + 4, tick_text(t, plot.y.integer), "tick-label", "end") + "</g>";
  const double middle = (b.top + b.bottom) / 2;
  out += text(16, middle, plot.y.label, "axis-label", "middle",
              " transform=\"rotate(-90 16 " + num(middle) + ")\"");
  out += "</g>";

  for (const series& s : plot.lines) {
    out += "<g class=\"series s" + std::to_string(s.style) + "\"><polyline class=\"line\" points=\"";
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (i != 0) out += ' ';
      out += num(sx(s.x[i])) + "," + num(sy(s.y[i]));
    }
    out += "\"/>";
    if (s.markers) {
      out += "<g class=\"markers\">";
      for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
        out += "<circle class=\"marker\"" + attr("cx", sx(s.x[i])) + attr("cy", sy(s.y[i])) + " r=\"3.5\"";
        out += i < s.titles.size() ? "><title>" + report::escape(s.titles[i]) + "</title></circle>" : "/>";
      }
      out += "</g>";
    }
    out += "</g>";
  }

  // A rising first series gets its labels above-left of the point, a falling
  // one above-right: away from the line either way.
  bool rising = false;
  if (!plot.lines.empty() && plot.lines[0].y.size() > 1) rising = plot.lines[0].y.back() > plot.lines[0].y.front();
  for (const highlight& m : plot.marks) {
    const double x = sx(m.x);
    const double y = m.has_point ? sy(m.y) : b.top;
    const bool right_half = m.has_point ? rising : x > (b.left + b.right) / 2;
    out += "<g class=\"highlight\">" + line(x, b.bottom, x, y, "rule");
    if (m.has_point) out += "<circle class=\"mark\"" + attr("cx", x) + attr("cy", y) + " r=\"6.5\"/>";
    // Where the label would leave the plot (a mark at K = 256, at the right
    // edge), it goes to the other side of the point.
    const double label_width = 7.5 * static_cast<double>(m.label.size());
    bool to_left = right_half;
    if (!to_left && x + 10 + label_width > b.right) to_left = true;
    else if (to_left && x - 10 - label_width < b.left) to_left = false;
    out += text(x + (to_left ? -10 : 10), m.has_point ? y - 10 : b.top + 14, m.label, "mark-label",
                to_left ? "end" : "start");
    out += "</g>";
  }

  if (plot.lines.size() > 1 || (plot.lines.size() == 1 && !plot.lines[0].name.empty())) {
    out += "<g class=\"legend\">";
    double x = b.left;
    for (const series& s : plot.lines) {
      out += "<g class=\"series s" + std::to_string(s.style) + "\">" + line(x, 14, x + 18, 14, "line") +
             text(x + 24, 18, s.name, "legend-label", "start") + "</g>";
      x += 40 + 7.0 * static_cast<double>(s.name.size());
    }
    out += "</g>";
  }
  return out + "</svg>";
}

box scatter_area(const scatter_plot& plot) { return box{44, 10, plot.size - 12, plot.size - 40}; }

std::string render_scatter(const scatter_plot& plot) {
  const box b = scatter_area(plot);
  const scale sx = scale::linear(plot.lo, plot.hi, b.left + 6, b.right - 6);
  const scale sy = scale::linear(plot.lo, plot.hi, b.bottom - 6, b.top + 6);
  std::string out = header(plot.id, "scatter", plot.size, plot.size, plot.title, plot.description);
  out += "<rect class=\"frame\"" + attr("x", b.left) + attr("y", b.top) + attr("width", b.right - b.left) +
         attr("height", b.bottom - b.top) + "/>";
  out += "<g class=\"grid\">";
  for (const double t : plot.ticks) out += line(b.left, sy(t), b.right, sy(t)) + line(sx(t), b.top, sx(t), b.bottom);
  out += "</g><g class=\"axis x-axis\">";
  for (const double t : plot.ticks)
    out += "<g class=\"tick\">" + line(sx(t), b.bottom, sx(t), b.bottom + 4) +
           text(sx(t), b.bottom + 16, tick_text(t, true), "tick-label", "middle") + "</g>";
  out += text((b.left + b.right) / 2, plot.size - 6, plot.x_label, "axis-label", "middle");
  out += "</g><g class=\"axis y-axis\">";
  for (const double t : plot.ticks)
    out += "<g class=\"tick\">" + line(b.left - 4, sy(t), b.left, sy(t)) +
           text(b.left - 7, sy(t) + 4, tick_text(t, true), "tick-label", "end") + "</g>";
  const double middle = (b.top + b.bottom) / 2;
  out += text(12, middle, plot.y_label, "axis-label", "middle", " transform=\"rotate(-90 12 " + num(middle) + ")\"");
  out += "</g>";

  // Largest groups first, so that small clusters stay visible on top.
  std::vector<const scatter_group*> order;
  for (const scatter_group& g : plot.groups) order.push_back(&g);
  std::stable_sort(order.begin(), order.end(),
                   [](const scatter_group* a, const scatter_group* b) { return a->points.size() > b->points.size(); });
  out += "<g class=\"points\">";
  for (const scatter_group* g : order) {
    if (g->points.empty()) continue;
    out += "<path class=\"pts\" stroke=\"" + report::escape(g->colour) + "\" d=\"";
    for (const auto& [x, y] : g->points) out += "M" + num(sx(x)) + " " + num(sy(y)) + "h0";
    out += "\">";
    if (!g->title.empty()) out += "<title>" + report::escape(g->title) + "</title>";
    out += "</path>";
  }
  out += "</g><g class=\"centres\">";
  for (const scatter_centre& c : plot.centres) {
    out += "<circle class=\"halo\"" + attr("cx", sx(c.x)) + attr("cy", sy(c.y)) + " r=\"7\"/>";
    out += "<circle class=\"centre\"" + attr("cx", sx(c.x)) + attr("cy", sy(c.y)) + " r=\"7\" fill=\"" +
           report::escape(c.colour) + "\">";
    if (!c.title.empty()) out += "<title>" + report::escape(c.title) + "</title>";
    out += "</circle>";
  }
  return out + "</g></svg>";
}

}  // namespace kmq::svg
