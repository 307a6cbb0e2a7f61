// image_decoder refuses every bad input (missing, not an image, truncated, corrupt, over a limit) with a reason.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "image_decode_test_support.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

image_decoder with_max_file_bytes(std::uint64_t max_file_bytes) {
  decode_limits limits;
  limits.max_file_bytes = max_file_bytes;
  return image_decoder(limits);
}

// --- bad inputs -----------------------------------------------------------

TEST_F(ImageDecode, MissingFile) {
  expect_failure((dir_ / "nowhere.png").string(), error_kind::input_unreadable, "No such file or directory");
}

TEST_F(ImageDecode, Directory) { expect_failure(dir_.string(), error_kind::input_unreadable, "is a directory"); }

TEST_F(ImageDecode, EmptyFile) { expect_failure(write("empty.png", {}), error_kind::bad_input, "empty file"); }

TEST_F(ImageDecode, TextNamedPng) {
  const std::string text = "this is not an image\n";
  expect_failure(write("text.png", bytes(text.begin(), text.end())), error_kind::bad_input, "not a recognised image");
}

TEST_F(ImageDecode, EndlessStreamIsRefusedOnItsFirstBytes) {
  expect_failure("/dev/zero", error_kind::bad_input, "not a recognised image");
}

TEST_F(ImageDecode, GifIsNamedAsUnsupported) {
  const bytes gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, ';'};
  expect_failure(write("a.gif", gif), error_kind::bad_input, "GIF is not supported");
}

TEST_F(ImageDecode, PngHeaderClaimingTenBillionPixels) {
  const std::string path = write("huge.png", png_claiming(100000, 100000));
  expect_failure(path, error_kind::bad_input, "100000x100000");
  expect_failure(path, error_kind::bad_input, "--max-pixels " + std::to_string(limit));
}

TEST_F(ImageDecode, JpegFrameHeaderClaimingTooManyPixels) {
  bytes jpeg = encode(".jpg", noise_bgr(16, 16));
  // Patch the SOF0 height and width to 60000 each.
  for (std::size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = jpeg[i + 7] = 60000 >> 8;
      jpeg[i + 6] = jpeg[i + 8] = 60000 & 255;
      break;
    }
  }
  expect_failure(write("huge.jpg", jpeg), error_kind::bad_input, "60000x60000 = 3600000000 pixels");
}

TEST_F(ImageDecode, PixelLimitIsInclusive) {
  const std::string path = write("ten.png", encode(".png", noise_bgr(10, 10)));
  EXPECT_EQ(decode_image(path, 100).pixels.size(), 100u);
  expect_failure(path, error_kind::bad_input, "10x10 = 100 pixels, more than --max-pixels 99", 99);
}

TEST_F(ImageDecode, TruncatedPng) {
  const bytes png = encode(".png", noise_bgr(64, 64));
  expect_failure(write("half.png", bytes(png.begin(), png.begin() + png.size() / 2)), error_kind::bad_input, "cannot decode PNG");
  expect_failure(write("header.png", bytes(png.begin(), png.begin() + 20)), error_kind::bad_input,
                 "truncated or corrupt PNG header");
}

TEST_F(ImageDecode, TruncatedJpeg) {
  const bytes jpeg = encode(".jpg", noise_bgr(64, 64));
  expect_failure(write("half.jpg", bytes(jpeg.begin(), jpeg.begin() + jpeg.size() / 2)), error_kind::bad_input,
                 "truncated JPEG (ends inside scan data)");
  expect_failure(write("no-eoi.jpg", bytes(jpeg.begin(), jpeg.end() - 2)), error_kind::bad_input, "truncated JPEG");
  expect_failure(write("tables.jpg", bytes(jpeg.begin(), jpeg.begin() + 30)), error_kind::bad_input, "JPEG");
}

TEST_F(ImageDecode, TruncatedProgressiveJpegAtAScanBoundary) {
  const bytes jpeg = encode(".jpg", noise_bgr(64, 64), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  EXPECT_EQ(decode_image(write("whole.jpg", jpeg), limit).width, 64u);
  // Cut just before the last scan: every segment so far is whole, only EOI is missing.
  std::size_t last_sos = 0;
  for (std::size_t i = 0; i + 1 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) last_sos = i;
  ASSERT_GT(last_sos, 0u);
  expect_failure(write("cut.jpg", bytes(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(last_sos))), error_kind::bad_input,
                 "truncated JPEG (no end-of-image marker)");
}

TEST_F(ImageDecode, TruncatedWebpTiffBmpAreRefused) {
  const cv::Mat image = noise_bgr(64, 64);
  for (const char* ext : {".webp", ".tiff", ".bmp"}) {
    SCOPED_TRACE(ext);
    const bytes whole = encode(ext, image, {cv::IMWRITE_WEBP_QUALITY, 101});
    const std::string path = write(std::string("half") + ext, bytes(whole.begin(), whole.begin() + whole.size() / 2));
    EXPECT_THROW(decode_image(path, limit), error);
  }
}

// libpng and imdecode print to stderr past OpenCV's logger; our reason says it.
TEST_F(ImageDecode, DecoderChatterBecomesTheReasonNotStderrNoise) {
  const bytes png = encode(".png", noise_bgr(64, 64));
  const bytes bmp = encode(".bmp", noise_bgr(64, 64));
  const std::string half_png = write("half.png", bytes(png.begin(), png.begin() + png.size() / 2));
  const std::string half_bmp = write("half.bmp", bytes(bmp.begin(), bmp.begin() + bmp.size() / 2));
  ::testing::internal::CaptureStderr();
  expect_failure(half_png, error_kind::bad_input, "cannot decode PNG (libpng: ");
  expect_failure(half_bmp, error_kind::bad_input, "cannot decode BMP (");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(ImageDecode, CorruptDataNeverCrashes) {
  const bytes png = encode(".png", noise_bgr(32, 32));
  bytes damaged = png;
  for (std::size_t i = 40; i < damaged.size(); i += 7) damaged[i] ^= 0x5A;
  expect_failure(write("damaged.png", damaged), error_kind::bad_input, "PNG");
}

// --- --max-file-size --------------------------------------------------------

TEST(MaxFileSize, MustBeAtLeastOne) {
  try {
    with_max_file_bytes(0);
    FAIL() << "no exception";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::invalid_argument);
    EXPECT_STREQ(e.what(), "--max-file-size must be at least 1");
  }
  EXPECT_EQ(image_decoder().limits().max_file_bytes, std::uint64_t{1} << 30);
}

TEST_F(ImageDecode, FileExactlyAtTheLimitIsAccepted) {
  const bytes png = encode(".png", noise_bgr(16, 16));
  const std::string path = write("at-limit.png", png);
  EXPECT_EQ(with_max_file_bytes(png.size()).decode_file(path).width, 16u);
  expect_failure_of(with_max_file_bytes(png.size() - 1), path, error_kind::bad_input,
                    "file is larger than --max-file-size " + std::to_string(png.size() - 1) + " bytes");
  EXPECT_EQ(with_max_file_bytes(png.size()).decode_bytes(png, "memory").width, 16u);
  EXPECT_THROW(with_max_file_bytes(png.size() - 1).decode_bytes(png, "memory"), error);
}

// A 2 GiB file (sparse: it takes no disk) that starts as a valid PNG is refused
// from its size alone, not read first.
TEST_F(ImageDecode, SparseFileOverTheLimitIsRefusedWithoutBeingRead) {
  const std::string path = write("sparse.png", encode(".png", noise_bgr(16, 16)));
  ASSERT_EQ(::truncate(path.c_str(), off_t{2} << 30), 0);
  const auto start = std::chrono::steady_clock::now();
  expect_failure_of(image_decoder(), path, error_kind::bad_input, "file is larger than --max-file-size 1073741824 bytes");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

// A FIFO that starts like a PNG and never ends is cut off once past the limit.
TEST_F(ImageDecode, EndlessFifoIsRefusedOncePastTheLimit) {
  const std::string path = (dir_ / "endless.png").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // Writes to a FIFO whose reader has gone raise SIGPIPE; the writer wants EPIPE.
  struct sigaction ignore {}, saved {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &saved), 0);
  std::atomic<std::uint64_t> written{0};
  std::thread writer([&] {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    bytes chunk = png_claiming(1000, 1000);
    chunk.resize(1 << 16, 0x5a);
    // Stops when the reader closes (EPIPE), or at 64 MiB should it never.
    while (written < (std::uint64_t{64} << 20)) {
      const ssize_t n = ::write(fd, chunk.data(), chunk.size());
      if (n <= 0) break;
      written += static_cast<std::uint64_t>(n);
      std::fill(chunk.begin(), chunk.begin() + 64, 0x5a);  // the header once only
    }
    ::close(fd);
  });
  expect_failure_of(with_max_file_bytes(std::uint64_t{1} << 20), path, error_kind::bad_input,
                    "file is larger than --max-file-size 1048576 bytes");
  writer.join();
  ::sigaction(SIGPIPE, &saved, nullptr);
  EXPECT_LT(written.load(), std::uint64_t{64} << 20) << "the reader stopped";
}

}  // namespace
}  // namespace kmq::io
