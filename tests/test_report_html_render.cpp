// The HTML report in headless Chromium (renders, runs, controls answer) and a 4K page under 5 MB.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "report_html_test_support.hpp"

namespace fs = std::filesystem;

namespace kmq {
namespace {
using namespace kmq::testing::report_html;

const char* const chromium = "/usr/bin/chromium";

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
  // Each side shows its own image alone: the compressed one is clipped to the
  // right of the divider as the original is to the left (over an image with
  // alpha, the original's see-through pixels showed the compressed beneath).
  var under = getComputedStyle(byId('swipe-under')).clipPath;
  out.push('underclip=' + (under.indexOf('inset') === 0 && under.indexOf('25%') > 0));
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
  var pair = byId('detail-pair');  // at 8x the views scroll inside their columns, the page does not widen
  out.push('inside=' + (pair.scrollWidth <= pair.clientWidth && document.documentElement.scrollWidth <= window.innerWidth));
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
  EXPECT_EQ(seen, "right=51 shiftleft=41 end=100 home=0 pointer=25 underclip=true zoomed=true stage=" + size +
                      " fit=true opacity=0.2 edges=false base=true detail=8 inside=true spin=false");
}

}  // namespace
}  // namespace kmq
