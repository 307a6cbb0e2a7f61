// The HTML report's page from a real run: sections, numbers, no outside URL, escaping, validity.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "kmq/error.hpp"
#include "kmq/io/rgba_png.hpp"
#include "report_html_test_support.hpp"

namespace fs = std::filesystem;

namespace kmq {
namespace {
using namespace kmq::testing::report_html;

bool tool_present(const std::string& check) { return std::system((check + " >/dev/null 2>&1").c_str()) == 0; }

// A run of pixels made here (written as a PNG, since run_job reads a file) at
// K, and its report; the outcome too, for what a test checks beside it.
struct pixels_run {
  job_outcome outcome;
  std::string html;
};
pixels_run report_of(const std::vector<packed_rgba>& pixels, std::uint32_t width, std::uint32_t height, int k,
                     const std::string& name) {
  const fs::path file = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".png");
  const std::vector<std::uint8_t> png = io::encode_rgba_png(pixels, width, height, true, 6);
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  image_job job;
  job.input = file.string();
  job.keep_decoded = true;
  job.quantize.kmeans.k = k;
  pixels_run run;
  run.outcome = run_job(job, *make_cpu_backend(1));
  fs::remove(file);
  run.html = render_report_html(job, run.outcome, report_context{});
  return run;
}

// The clusters section counts the pixels it draws from: the visible ones of
// an image with transparent pixels, and says so for one that is all transparent
// (it said "0 of its 0 pixels").
TEST_F(ReportHtml, TheClusterSampleCountsVisiblePixels) {
  std::vector<packed_rgba> half(256, pack_rgba(0, 0, 0, 0));
  for (std::size_t i = 0; i < 100; ++i) half[i] = pack_rgba(static_cast<std::uint32_t>(i * 2), 50, 200, 255);
  const std::string some = report_of(half, 16, 16, 4, "kmq-report-half").html;
  EXPECT_NE(some.find("of its 100 visible pixels (alpha above 0; 156 are fully transparent)"), std::string::npos);
  const std::string none = report_of(std::vector<packed_rgba>(256, pack_rgba(0, 0, 0, 0)), 16, 16, 4, "kmq-report-none").html;
  EXPECT_NE(none.find("Every pixel of this image is fully transparent"), std::string::npos);
  EXPECT_EQ(none.find("of its 0"), std::string::npos);
  EXPECT_EQ(none.find("centroid 0: "), std::string::npos) << "the transparent entry drawn as a centroid";
  EXPECT_NE(some.find("centroid "), std::string::npos);
}

// An image of fewer colours than K: the detail is a region like any other,
// not "where the error is largest" (there is none).
TEST_F(ReportHtml, ALosslessReportsDetailSaysThereIsNoError) {
  std::vector<packed_rgba> pixels(400 * 300, pack_rgba(10, 200, 30, 255));
  for (std::size_t i = 100 * 400; i < pixels.size(); ++i) pixels[i] = pack_rgba(200, 10, 10, 255);
  const pixels_run run = report_of(pixels, 400, 300, 16, "kmq-report-lossless");
  ASSERT_TRUE(run.outcome.quantized.lossless);
  EXPECT_NE(run.html.find("no error anywhere"), std::string::npos);
  EXPECT_EQ(run.html.find("where the error against the palette is largest"), std::string::npos);
}

// Dithered: the elbow curve is of undithered palettes, so its mark sits on
// the curve and the text gives the dithered result's own PSNR.
TEST_F(ReportHtml, ADitheredResultsElbowSaysTheCurveIsUndithered) {
  image_job job;
  job.input = sample("chelsea.png");
  job.keep_decoded = true;
  job.elbow = true;
  job.quantize.kmeans.k = 4;
  job.remap.dither = dither_method::floyd_steinberg;
  const job_outcome outcome = run_job(job, *make_cpu_backend(2));
  const std::string html = render_report_html(job, outcome, report_context{});
  const std::size_t elbow = html.find("id=\"elbow\"");
  ASSERT_NE(elbow, std::string::npos);
  EXPECT_NE(html.find("mapped without dithering", elbow), std::string::npos);
  char dithered[32];
  std::snprintf(dithered, sizeof dithered, "%.2f dB", outcome.metrics.psnr);
  EXPECT_NE(html.find(std::string("with a PSNR of ") + dithered, elbow), std::string::npos) << dithered;
}

TEST_F(ReportHtml, EverySectionIsThereWithItsStableId) {
  const std::string& html = fruits().html;
  for (const char* id : {"summary", "compare", "swipe", "detail", "palette", "wcss", "elbow", "clusters", "overlay",
                         "timings", "command"})
    EXPECT_NE(html.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
                      "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"),
            std::string::npos);
  EXPECT_NE(html.find("role=\"slider\""), std::string::npos);  // the swipe divider, keyboard-usable
  EXPECT_NE(html.find("<svg id=\"wcss-plot\""), std::string::npos);
  EXPECT_NE(html.find("<svg id=\"clusters-rg\""), std::string::npos);
  EXPECT_NE(html.find("<svg id=\"clusters-rb\""), std::string::npos);
  EXPECT_NE(html.find("<canvas id=\"cube\""), std::string::npos);
  EXPECT_NE(html.find("prefers-color-scheme:dark"), std::string::npos);
  EXPECT_LT(html.size(), max_report_bytes);
}

TEST_F(ReportHtml, ShowsTheNumbersOfTheOutcome) {
  const fruits_run& run = fruits();
  const std::string& html = run.html;
  const quantize_result& q = run.outcome.quantized;
  char psnr[32];
  std::snprintf(psnr, sizeof psnr, "%.2f dB", run.outcome.metrics.psnr);
  EXPECT_NE(html.find(psnr), std::string::npos);
  char ssim[32];
  std::snprintf(ssim, sizeof ssim, "%.4f", run.outcome.metrics.ssim);
  EXPECT_NE(html.find(ssim), std::string::npos);
  EXPECT_NE(html.find("K asked: 16"), std::string::npos);
  EXPECT_NE(html.find(std::to_string(q.palette.size()) + " colours"), std::string::npos);
  EXPECT_NE(html.find("Bits per pixel"), std::string::npos);
  // Every palette entry as a swatch, in order of share.
  std::vector<std::uint64_t> shown;
  const std::regex px("<span>([0-9,]+) px</span>");
  std::string rest = html.substr(html.find("id=\"palette\""));
  rest = rest.substr(0, rest.find("</section>"));
  for (auto it = std::sregex_iterator(rest.begin(), rest.end(), px); it != std::sregex_iterator(); ++it) {
    std::string digits = (*it)[1];
    digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
    shown.push_back(std::stoull(digits));
  }
  ASSERT_EQ(shown.size(), q.palette.size());
  EXPECT_TRUE(std::is_sorted(shown.rbegin(), shown.rend()));
  std::multiset<std::uint64_t> expected(q.usage.begin(), q.usage.end());
  EXPECT_EQ(std::multiset<std::uint64_t>(shown.begin(), shown.end()), expected);
  // One WCSS marker per Lloyd pass, stage times, the command line and version.
  std::string wcss = html.substr(html.find("<svg id=\"wcss-plot\""));
  wcss = wcss.substr(0, wcss.find("</svg>"));
  std::size_t markers = 0;
  for (std::size_t p = wcss.find("class=\"marker\""); p != std::string::npos; p = wcss.find("class=\"marker\"", p + 1))
    ++markers;
  EXPECT_EQ(markers, q.passes.size());
  for (const char* stage : {"decode", "histogram", "seed", "iterate", "map", "metrics", "encode", "write"})
    EXPECT_NE(html.find(std::string("<th scope=\"row\">") + stage + "</th>"), std::string::npos) << stage;
  EXPECT_NE(html.find("0.1.0-test"), std::string::npos);
  EXPECT_NE(html.find("-o fruits-16.png -k 16 --report fruits.html"), std::string::npos);
}

TEST_F(ReportHtml, NamesNoOutsideUrl) {
  const std::string& html = fruits().html;
  EXPECT_EQ(html.find("http:"), std::string::npos);
  EXPECT_EQ(html.find("https:"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // Every src and href is a data: URI or an anchor in the page.
  const std::regex reference("(src|href)=\"([^\"]{0,12})");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), reference); it != std::sregex_iterator(); ++it) {
    const std::string target = (*it)[2];
    EXPECT_TRUE(target.rfind("data:", 0) == 0 || target.rfind("#", 0) == 0) << (*it)[0];
  }
}

TEST_F(ReportHtml, EscapesWhatTheUserTyped) {
  const fruits_run& run = fruits();
  job_outcome outcome = run.outcome;
  outcome.input = "dir/<script>alert(1)</script>&\"x'.png";
  outcome.output = "<b>out</b>.png";
  report_context context = run.context;
  context.command_line = "kmq compress '<img src=x onerror=alert(2)>' -o \"a&b.png\"";
  context.level = "<i>large</i>";
  const std::string html = render_report_html(run.job, outcome, context);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_EQ(html.find("<b>out"), std::string::npos);
  EXPECT_EQ(html.find("<i>large"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;x&#39;.png"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;a&amp;b.png&quot;"), std::string::npos);
}

TEST_F(ReportHtml, PassesAnHtmlValidator) {
  const fs::path page = dir_ / "fruits.html";
  write_text(page, fruits().html);
  bool validated = false;
  if (tool_present("command -v tidy")) {
    // tidy: 0 clean, 1 warnings only, 2 errors.
    const int rc = run("tidy -errors -q '" + page.string() + "' > '" + (dir_ / "tidy.txt").string() + "' 2>&1");
    const std::string said = read_text(dir_ / "tidy.txt");
    EXPECT_LE(rc, 1) << said;
    // Its only warnings are about the empty <span> and <i> colour chips.
    std::istringstream lines(said);
    for (std::string line; std::getline(lines, line);)
      EXPECT_TRUE(line.empty() || line.find("Warning: trimming empty <") != std::string::npos) << line;
    validated = true;
  }
  if (tool_present("/usr/bin/python3 -c 'import html5lib'")) {
    const int rc = run("/usr/bin/python3 -c 'import sys, html5lib; html5lib.HTMLParser(strict=True).parse(open(sys.argv[1], \"rb\"))' '" +
                       page.string() + "' > '" + (dir_ / "html5lib.txt").string() + "' 2>&1");
    EXPECT_EQ(rc, 0) << read_text(dir_ / "html5lib.txt");
    validated = true;
  }
  if (!validated) GTEST_SKIP() << "neither tidy nor python3-html5lib is installed (scripts/install-deps.sh installs both)";
}

TEST_F(ReportHtml, PreviewsShowPaletteColoursOnly) {
  const fruits_run& run = fruits();
  const cv::Mat compressed = embedded_image(run.html, "img-compressed");
  const cv::Mat original = embedded_image(run.html, "img-original");
  ASSERT_FALSE(compressed.empty());
  ASSERT_FALSE(original.empty());
  EXPECT_EQ(static_cast<std::uint32_t>(compressed.cols), run.outcome.width);  // 512x480 fits the preview
  EXPECT_EQ(static_cast<std::uint32_t>(original.rows), run.outcome.height);
  std::set<packed_rgba> palette(run.outcome.quantized.palette.begin(), run.outcome.quantized.palette.end());
  cv::Mat bgr;
  if (compressed.channels() == 1) {
    GTEST_FAIL() << "unexpected grey preview";
  }
  for (int y = 0; y < compressed.rows; ++y)
    for (int x = 0; x < compressed.cols; ++x) {
      const cv::Vec3b v = compressed.at<cv::Vec3b>(y, x);
      ASSERT_TRUE(palette.count(pack_rgba(v[2], v[1], v[0], 255))) << x << "," << y;
    }
}

TEST_F(ReportHtml, ElbowSectionPlotsTheCurveOrSaysHowToGetIt) {
  const fruits_run& run = fruits();
  EXPECT_NE(run.html.find("--elbow"), std::string::npos);  // not computed in this run
  job_outcome outcome = run.outcome;
  for (int k = 2; k <= 256; k *= 2) outcome.elbow.push_back({k, 6e8 / k, 600.0 / k, 20 + 2.0 * k / 32, 0.01});
  const std::string html = render_report_html(run.job, outcome, run.context);
  EXPECT_NE(html.find("<svg id=\"elbow-plot\""), std::string::npos);
  EXPECT_NE(html.find("K = 16"), std::string::npos);  // the chosen K, marked
  EXPECT_NE(html.find("class=\"chosen\""), std::string::npos);
}

TEST_F(ReportHtml, AnExactGreyPaletteSaysSoInsteadOfLloydPasses) {
  const fruits_run& run = fruits();
  job_outcome outcome = run.outcome;
  outcome.quantized.exact_grey = true;  // as quantize() marks an opaque grey image (test_grey_palette)
  outcome.quantized.passes.clear();
  outcome.quantized.restarts = 0;
  const std::string html = render_report_html(run.job, outcome, run.context);
  EXPECT_NE(html.find("every colour of the image is grey"), std::string::npos);
  EXPECT_NE(html.find("found exactly"), std::string::npos);
  EXPECT_NE(html.find("not used (grey image: exact optimum)"), std::string::npos);
  EXPECT_NE(html.find("grey levels of least error"), std::string::npos);
  EXPECT_EQ(html.find("centroids k-means found"), std::string::npos);
  EXPECT_EQ(html.find("<svg id=\"wcss-plot\""), std::string::npos);
  EXPECT_EQ(html.find("distinct colours: the palette is the image's colours"), std::string::npos);
}

TEST_F(ReportHtml, NamesTheVarianceSplitsRunAmongTheSeedings) {
  const fruits_run& run = fruits();
  job_outcome outcome = run.outcome;
  outcome.quantized.split_run = true;  // as --restarts auto adds it where it fits (test_variance_split)
  outcome.quantized.restarts = 4;
  outcome.quantized.best_restart = 3;
  std::string html = render_report_html(run.job, outcome, run.context);
  EXPECT_NE(html.find("best of 4 seedings (3 k-means++, 1 variance split; the split kept)"), std::string::npos);
  EXPECT_NE(html.find("The run shown is the best of 4 seedings: the one from the variance split."), std::string::npos);
  EXPECT_NE(html.find("kmeans++, seed 0, and one run from a variance split"), std::string::npos);
  outcome.quantized.best_restart = 1;
  html = render_report_html(run.job, outcome, run.context);
  EXPECT_NE(html.find("(3 k-means++, 1 variance split; #2 kept)"), std::string::npos);
  EXPECT_NE(html.find("The run shown is the best of 4 seedings."), std::string::npos);
  EXPECT_EQ(run.html.find("variance split"), std::string::npos);  // one seeding asked: nothing to name
  image_job random_split = run.job;
  random_split.quantize.kmeans.init = init_method::random;
  html = render_report_html(random_split, outcome, run.context);
  EXPECT_NE(html.find("(3 random, 1 variance split; #2 kept)"), std::string::npos);
  image_job split_alone = run.job;
  split_alone.quantize.kmeans.init = init_method::variance_split;
  split_alone.quantize.kmeans.restarts = 5;
  outcome.quantized.restarts = 1;
  outcome.quantized.best_restart = 0;
  html = render_report_html(split_alone, outcome, run.context);
  EXPECT_NE(html.find("5 asked, 1 run (a variance split draws nothing)"), std::string::npos);
  EXPECT_NE(html.find("variance split (no draws: the seed is not used)"), std::string::npos);
}

TEST_F(ReportHtml, IsTheSameEveryTime) {
  const fruits_run& run = fruits();
  EXPECT_EQ(render_report_html(run.job, run.outcome, run.context), run.html);
}

TEST_F(ReportHtml, RefusesAnOutcomeWithoutPixels) {
  image_job job;
  job.input = sample("fruits.jpg");
  job.quantize.kmeans.k = 4;
  const job_outcome outcome = run_job(job, *make_cpu_backend(2));
  try {
    render_report_html(job, outcome, {});
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("keep_decoded"), std::string::npos);
  }
}

}  // namespace
}  // namespace kmq
