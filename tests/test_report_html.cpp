// The HTML report (--report): one self-contained page from a real pipeline
// run. Every section is there, it validates, it names no outside URL, user
// text is escaped, previews keep a 4K page under 5 MB, and headless Chromium
// renders it with its script run and no console message.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/pipeline/report_html.hpp"
#include "kmq/pipeline/run_job.hpp"
#include "kmq/io/rgba_png.hpp"
#include "kmq/random.hpp"
#include "preview.hpp"

namespace fs = std::filesystem;

namespace kmq {
namespace {

const char* const chromium = "/usr/bin/chromium";

std::string sample(const std::string& name) {
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  return (fs::path(root ? root : ".") / "sample_images" / name).string();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

bool tool_present(const std::string& check) { return std::system((check + " >/dev/null 2>&1").c_str()) == 0; }

// Exit status of a shell command, output to files.
int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::uint8_t> base64_decode(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else break;  // '=' padding
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(buffer >> bits));
    }
  }
  return out;
}

// The image embedded in the <img> with this id, decoded (BGR or BGRA).
cv::Mat embedded_image(const std::string& html, const std::string& id) {
  const std::size_t tag = html.find("id=\"" + id + "\"");
  if (tag == std::string::npos) return {};
  const std::string prefix = "src=\"data:image/png;base64,";
  const std::size_t src = html.find(prefix, tag);
  const std::size_t end = html.find('"', src + prefix.size());
  const std::vector<std::uint8_t> png = base64_decode(html.substr(src + prefix.size(), end - src - prefix.size()));
  return cv::imdecode(cv::Mat(1, static_cast<int>(png.size()), CV_8U, const_cast<std::uint8_t*>(png.data())),
                      cv::IMREAD_UNCHANGED);
}

// ---- the previews' pieces ---------------------------------------------------------

TEST(ReportPreview, FitsWithinTheSideKeepingTheAspectRatio) {
  EXPECT_EQ(report::fit_within(512, 480, 1024).width, 512u);  // fits already
  const report::extent uhd = report::fit_within(3840, 2160, 1024);
  EXPECT_EQ(uhd.width, 1024u);
  EXPECT_EQ(uhd.height, 576u);
  const report::extent tall = report::fit_within(100, 100000, 1024);
  EXPECT_EQ(tall.height, 1024u);
  EXPECT_EQ(tall.width, 1u);  // never 0
}

TEST(ReportPreview, BoxFilterAveragesEachBlockWeightedByAlpha) {
  // 4x2 -> 2x1: each preview pixel is the mean of a 2x2 block.
  const std::vector<packed_rgba> pixels{pack_rgba(0, 0, 0, 255),   pack_rgba(100, 10, 4, 255),
                                        pack_rgba(255, 0, 0, 255), pack_rgba(255, 0, 0, 0),
                                        pack_rgba(200, 30, 8, 255), pack_rgba(100, 0, 0, 255),
                                        pack_rgba(255, 0, 0, 0),   pack_rgba(255, 0, 0, 0)};
  const auto out = report::box_downscale(pixels, {4, 2}, {2, 1});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], pack_rgba(100, 10, 3, 255));
  // Three transparent pixels add no colour: red, at a quarter of the opacity.
  EXPECT_EQ(out[1], pack_rgba(255, 0, 0, 64));
}

TEST(ReportPreview, NearestLabelsAndBoundaries) {
  label_map labels{4, 4, {0, 0, 1, 1,  //
                          0, 0, 1, 1,  //
                          2, 2, 3, 3,  //
                          2, 2, 3, 3}};
  const label_map half = report::nearest_labels(labels, {2, 2});
  EXPECT_EQ(half.indices, (std::vector<std::uint8_t>{0, 1, 2, 3}));
  const label_map edges = report::cluster_boundaries(labels);
  EXPECT_EQ(edges.indices, (std::vector<std::uint8_t>{0, 1, 0, 0,  //
                                                      1, 1, 1, 1,  //
                                                      0, 1, 0, 0,  //
                                                      0, 1, 0, 0}));
}

TEST(ReportPreview, SampleIsBoundedDeterministicAndSkipsTransparentPixels) {
  std::vector<packed_rgba> pixels(10000);
  label_map labels{100, 100, std::vector<std::uint8_t>(10000)};
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    pixels[i] = pack_rgba(i % 256, 0, 0, i % 2 == 0 ? 255 : 0);
    labels.indices[i] = static_cast<std::uint8_t>(i % 7);
  }
  const report::pixel_sample a = report::sample_pixels(pixels, labels, 3000);
  const report::pixel_sample b = report::sample_pixels(pixels, labels, 3000);
  EXPECT_EQ(a.colours.size(), 3000u);
  EXPECT_EQ(a.population, 5000u);
  EXPECT_EQ(a.colours, b.colours);
  for (const packed_rgba c : a.colours) EXPECT_EQ(alpha_of(c), 255u);
  EXPECT_EQ(report::sample_pixels(pixels, labels, 1000000).colours.size(), 5000u);
}

TEST(ReportPreview, LargestErrorRegionFindsTheWorstWindow) {
  label_map labels{400, 300, std::vector<std::uint8_t>(400 * 300, 0)};
  std::vector<packed_rgba> pixels(400 * 300, pack_rgba(10, 10, 10, 255));
  for (std::uint32_t y = 200; y < 260; ++y)
    for (std::uint32_t x = 300; x < 380; ++x) pixels[std::size_t{y} * 400 + x] = pack_rgba(250, 250, 250, 255);
  const report::region r = report::largest_error_region(pixels, labels, {pack_rgba(10, 10, 10, 255)}, 160);
  EXPECT_EQ(r.width, 160u);
  EXPECT_EQ(r.height, 160u);
  EXPECT_LE(r.x, 300u);
  EXPECT_GE(r.x + r.width, 380u);
  EXPECT_LE(r.y, 200u);
  EXPECT_GE(r.y + r.height, 260u);
  EXPECT_LE(r.x + r.width, 400u);
  EXPECT_LE(r.y + r.height, 300u);
}

TEST(RgbaPng, ReadsBackExactlyWithAndWithoutAlpha) {
  seeded_random random(3);
  std::vector<packed_rgba> pixels(37 * 23);
  for (packed_rgba& p : pixels) p = static_cast<packed_rgba>(random.next());
  for (const bool alpha : {false, true}) {
    const std::vector<std::uint8_t> png = io::encode_rgba_png(pixels, 37, 23, alpha, 9);
    const cv::Mat image = cv::imdecode(
        cv::Mat(1, static_cast<int>(png.size()), CV_8U, const_cast<std::uint8_t*>(png.data())), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(image.channels(), alpha ? 4 : 3);
    for (int y = 0; y < 23; ++y)
      for (int x = 0; x < 37; ++x) {
        const packed_rgba want = pixels[static_cast<std::size_t>(y) * 37 + static_cast<std::size_t>(x)];
        packed_rgba got;
        if (alpha) {
          const cv::Vec4b v = image.at<cv::Vec4b>(y, x);
          got = pack_rgba(v[2], v[1], v[0], v[3]);
        } else {
          const cv::Vec3b v = image.at<cv::Vec3b>(y, x);
          got = pack_rgba(v[2], v[1], v[0], 255);
        }
        ASSERT_EQ(got, alpha ? want : (want | 0xff000000u)) << x << "," << y;
      }
  }
  EXPECT_THROW(io::encode_rgba_png(pixels, 37, 22, false, 6), error);
  EXPECT_THROW(io::encode_rgba_png(pixels, 37, 23, false, 10), error);
}

// One real run of fruits.jpg at K = 16, shared by the tests.
struct fruits_run {
  image_job job;
  job_outcome outcome;
  report_context context;
  std::string html;
};

const fruits_run& fruits() {
  static const std::unique_ptr<fruits_run> run = [] {
    auto r = std::make_unique<fruits_run>();
    r->job.input = sample("fruits.jpg");
    r->job.keep_decoded = true;
    r->job.quantize.kmeans.k = 16;
    r->outcome = run_job(r->job, *make_cpu_backend(2));
    r->context.command_line = "kmq compress " + r->job.input + " -o fruits-16.png -k 16 --report fruits.html";
    r->context.version = "0.1.0-test";
    r->html = render_report_html(r->job, r->outcome, r->context);
    return r;
  }();
  return *run;
}

class ReportHtml : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kmq-report-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);  // kept for a look when something failed
  }
  fs::path dir_;
};

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
  outcome.quantized.split_run = true;  // as quantize() marks --restarts auto at K <= 128 (test_variance_split)
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

void expect_renders(const fs::path& dir, const std::string& html, int width, int height);

// A 3840x2160 photo-sized image of pure noise: the worst case for PNG
// previews. It also renders (where Chromium is), data: URIs of megabytes included.
TEST_F(ReportHtml, A4kNoisyImageStaysUnderFiveMegabytes) {
  cv::Mat noise(2160, 3840, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(256));
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", noise, png, {cv::IMWRITE_PNG_COMPRESSION, 1}));
  image_job job;
  job.input = "noise-3840x2160.png";
  job.input_bytes = std::make_shared<const std::vector<std::uint8_t>>(std::move(png));
  job.keep_decoded = true;
  job.quantize.kmeans.k = 16;
  job.quantize.kmeans.max_iter = 20;
  const job_outcome outcome = run_job(job, *make_cpu_backend(2));
  const std::string html = render_report_html(job, outcome, {"kmq compress noise-3840x2160.png --report r.html", "test", ""});
  std::printf("4K noise page: %zu bytes (limit %zu)\n", html.size(), max_report_bytes);
  EXPECT_LT(html.size(), max_report_bytes);
  const cv::Mat preview = embedded_image(html, "img-original");
  ASSERT_FALSE(preview.empty());
  EXPECT_LE(preview.cols, static_cast<int>(report_preview_side));
  EXPECT_LE(preview.rows, static_cast<int>(report_preview_side));
  EXPECT_NEAR(static_cast<double>(preview.cols) / preview.rows, 3840.0 / 2160.0, 0.01);
  if (fs::exists(chromium)) expect_renders(dir_, html, 1280, 2400);
}

// ---- headless Chromium -----------------------------------------------------------

struct chromium_result {
  int screenshot_rc = -1, dom_rc = -1;
  std::string log, dom;
  cv::Mat screenshot;
};

chromium_result render_in_chromium(const fs::path& dir, const fs::path& page, int width, int height) {
  const std::string common = std::string(chromium) +
                             " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                             "--disable-background-networking --disable-component-update --disable-sync "
                             "--hide-scrollbars --enable-logging=stderr --v=0 ";
  chromium_result r;
  const fs::path shot = dir / "screenshot.png";
  r.screenshot_rc = run("timeout 180 " + common + "--user-data-dir='" + (dir / "profile1").string() + "' --screenshot='" +
                        shot.string() + "' --window-size=" + std::to_string(width) + "," + std::to_string(height) +
                        " 'file://" + page.string() + "' > /dev/null 2> '" + (dir / "shot.log").string() + "'");
  r.dom_rc = run("timeout 180 " + common + "--user-data-dir='" + (dir / "profile2").string() + "' --dump-dom 'file://" +
                 page.string() + "' > '" + (dir / "dom.html").string() + "' 2> '" + (dir / "dom.log").string() + "'");
  r.log = read_text(dir / "shot.log") + read_text(dir / "dom.log");
  r.dom = read_text(dir / "dom.html");
  r.screenshot = cv::imread(shot.string(), cv::IMREAD_COLOR);
  return r;
}

std::size_t distinct_colours(const cv::Mat& bgr) {
  std::set<std::uint32_t> colours;
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3b v = bgr.at<cv::Vec3b>(y, x);
      colours.insert(std::uint32_t{v[0]} | std::uint32_t{v[1]} << 8 | std::uint32_t{v[2]} << 16);
    }
  return colours.size();
}

void expect_renders(const fs::path& dir, const std::string& html, int width, int height) {
  const fs::path page = dir / "report.html";
  write_text(page, html);
  const chromium_result r = render_in_chromium(dir, page, width, height);
  ASSERT_EQ(r.screenshot_rc, 0) << r.log;
  ASSERT_EQ(r.dom_rc, 0) << r.log;
  ASSERT_FALSE(r.screenshot.empty()) << "no screenshot";
  EXPECT_EQ(r.screenshot.cols, width);
  EXPECT_EQ(r.screenshot.rows, height);
  EXPECT_GT(distinct_colours(r.screenshot), 2000u) << "a blank or nearly blank page";
  // The page logs nothing: an uncaught exception, a console.error or a
  // Content-Security-Policy violation would each be a CONSOLE line.
  std::istringstream lines(r.log);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find("CONSOLE"), std::string::npos) << line;
    EXPECT_EQ(line.find("Uncaught"), std::string::npos) << line;
  }
  // The script ran to its end, and pointed the swipe layers at the previews.
  EXPECT_NE(r.dom.find("data-ready=\"1\""), std::string::npos) << "the script did not finish";
  const std::size_t over = r.dom.find("id=\"swipe-over\"");
  ASSERT_NE(over, std::string::npos);
  EXPECT_NE(r.dom.find("src=\"data:image/png;base64,", over), std::string::npos);
}

TEST_F(ReportHtml, RendersInHeadlessChromium) {
  if (!fs::exists(chromium)) GTEST_SKIP() << chromium << " is missing (scripts/install-deps.sh installs Debian's chromium)";
  expect_renders(dir_, fruits().html, 1280, 2400);
}

TEST_F(ReportHtml, RendersOnANarrowWindow) {
  if (!fs::exists(chromium)) GTEST_SKIP() << chromium << " is missing (scripts/install-deps.sh installs Debian's chromium)";
  expect_renders(dir_, fruits().html, 390, 1600);
}

// The controls answer: a probe script, appended to a copy of the page, presses
// keys on the divider, drags it, switches zooms and overlay settings, and
// writes what the page did into <body data-probe>.
TEST_F(ReportHtml, ControlsAnswerKeysPointerAndClicks) {
  if (!fs::exists(chromium)) GTEST_SKIP() << chromium << " is missing (scripts/install-deps.sh installs Debian's chromium)";
  const std::string probe = R"js(<script>
(function () {
  var out = [], byId = function (id) { return document.getElementById(id); };
  var d = byId('swipe-divider'), stage = byId('swipe-stage');
  function key(k, shift) { d.dispatchEvent(new KeyboardEvent('keydown', { key: k, shiftKey: !!shift, bubbles: true })); }
  key('ArrowRight'); out.push('right=' + d.getAttribute('aria-valuenow'));
  key('ArrowLeft', true); out.push('shiftleft=' + d.getAttribute('aria-valuenow'));
  key('End'); out.push('end=' + d.getAttribute('aria-valuenow'));
  key('Home'); out.push('home=' + d.getAttribute('aria-valuenow'));
  var r = stage.getBoundingClientRect();
  stage.dispatchEvent(new PointerEvent('pointerdown', { clientX: r.left + r.width / 4, clientY: r.top + 5, button: 0, pointerId: 1, bubbles: true }));
  stage.dispatchEvent(new PointerEvent('pointerup', { pointerId: 1, bubbles: true }));
  out.push('pointer=' + d.getAttribute('aria-valuenow'));
  document.querySelector('[data-zoom="1"]').click();
  out.push('zoomed=' + byId('swipe').classList.contains('zoomed'));
  out.push('stage=' + stage.offsetWidth + 'x' + stage.offsetHeight);
  document.querySelector('[data-zoom="0"]').click();
  out.push('fit=' + !byId('swipe').classList.contains('zoomed'));
  var range = byId('overlay-opacity'); range.value = '20'; range.dispatchEvent(new Event('input', { bubbles: true }));
  out.push('opacity=' + byId('overlay-stage').style.getPropertyValue('--op'));
  byId('overlay-edges').click();
  out.push('edges=' + !byId('overlay-stage').classList.contains('no-edges'));
  document.querySelector('[data-base="1"]').click();
  out.push('base=' + (byId('overlay-base').src === byId('img-compressed').src));
  document.querySelector('[data-dzoom="8"]').click();
  out.push('detail=' + byId('detail-pair').style.getPropertyValue('--dz'));
  byId('cube-spin').click();
  out.push('spin=' + byId('cube-spin').getAttribute('aria-pressed'));
  document.body.setAttribute('data-probe', out.join(' '));
})();
</script>
)js";
  std::string html = fruits().html;
  html.insert(html.rfind("</body>"), probe);
  const fs::path page = dir_ / "probe.html";
  write_text(page, html);
  const chromium_result r = render_in_chromium(dir_, page, 1280, 2400);
  ASSERT_EQ(r.dom_rc, 0) << r.log;
  EXPECT_EQ(r.log.find("CONSOLE"), std::string::npos) << r.log;
  const std::size_t at = r.dom.find("data-probe=\"");
  ASSERT_NE(at, std::string::npos) << "the probe did not run";
  const std::string seen = r.dom.substr(at + 12, r.dom.find('"', at + 12) - at - 12);
  const std::string size = std::to_string(fruits().outcome.width) + "x" + std::to_string(fruits().outcome.height);
  EXPECT_EQ(seen, "right=51 shiftleft=41 end=100 home=0 pointer=25 zoomed=true stage=" + size +
                      " fit=true opacity=0.2 edges=false base=true detail=8 spin=false");
}

}  // namespace
}  // namespace kmq
