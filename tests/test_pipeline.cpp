// run_job(): the one pipeline every front-end calls. Same bytes in memory and
// on disk, from a file and from bytes, one job at a time and several at once;
// cancellation writes nothing; a device out of memory falls back to the CPU.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "kmq/cpu_backend.hpp"
#include "kmq/cuda_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/io/png_encoder.hpp"
#include "kmq/io/rgba_png.hpp"
#include "kmq/random.hpp"
#include "kmq/pipeline/run_job.hpp"
#include "child_process.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

namespace kmq {
namespace {

std::string sample(const std::string& name) {
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  return (fs::path(root ? root : ".") / "sample_images" / name).string();
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

image_job job_for(const std::string& input, int k, std::uint64_t seed = 0) {
  image_job job;
  job.input = input;
  job.quantize.kmeans.k = k;
  job.quantize.kmeans.seed = seed;
  job.quantize.kmeans.restarts = automatic_restarts(k);
  return job;
}

class Pipeline : public ::testing::Test {
 protected:
  Pipeline()
      : scratch_(std::string("kmq-pipeline-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()) {}
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  ::kmq::testing::scratch_folder scratch_;  // a folder per test, gone after it
  const fs::path& dir_ = scratch_.path();
};

TEST_F(Pipeline, TheWrittenFileIsTheOutcomesPng) {
  image_job job = job_for(sample("fruits.jpg"), 16);
  job.output = path("fruits.png");
  const auto engine = make_cpu_backend(2);
  const job_outcome outcome = run_job(job, *engine);
  EXPECT_EQ(outcome.output, job.output);
  EXPECT_EQ(read_bytes(job.output), outcome.png);
  EXPECT_EQ(outcome.width, 512u);
  EXPECT_EQ(outcome.height, 480u);
  EXPECT_EQ(outcome.backend, "cpu");
  EXPECT_TRUE(outcome.measured);
  EXPECT_GT(outcome.metrics.psnr, 20.0);
  EXPECT_EQ(static_cast<int>(outcome.quantized.passes.size()), outcome.quantized.iterations);
  EXPECT_GT(outcome.seconds.total, 0.0);
  EXPECT_TRUE(outcome.decoded.empty()) << "pixels are kept only when asked";
  // The PNG decodes to the palette's colours.
  const cv::Mat back = cv::imread(job.output, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(back.cols, 512);
}

TEST_F(Pipeline, NoOutputPathMeansNothingIsWritten) {
  image_job job = job_for(sample("coffee.png"), 8);
  job.keep_decoded = true;
  const auto engine = make_cpu_backend(2);
  const job_outcome outcome = run_job(job, *engine);
  EXPECT_TRUE(outcome.output.empty());
  EXPECT_FALSE(outcome.png.empty());
  EXPECT_TRUE(fs::is_empty(dir_));
  // The kept label map and pixels belong together.
  ASSERT_EQ(outcome.decoded.size(), std::size_t{outcome.width} * outcome.height);
  ASSERT_EQ(outcome.labels.indices.size(), outcome.decoded.size());
  std::uint64_t wcss = 0;
  for (std::size_t p = 0; p < outcome.decoded.size(); ++p) {
    wcss += squared_distance(outcome.decoded[p], outcome.quantized.palette.at(outcome.labels.indices[p]));
  }
  EXPECT_EQ(static_cast<double>(wcss), outcome.quantized.wcss);
}

TEST_F(Pipeline, BytesInMemoryGiveTheFilesResult) {
  const std::string input = sample("chelsea.png");
  const auto engine = make_cpu_backend(2);
  const job_outcome from_file = run_job(job_for(input, 16), *engine);
  image_job in_memory = job_for("upload.png", 16);
  in_memory.input_bytes = std::make_shared<const std::vector<std::uint8_t>>(read_bytes(input));
  const job_outcome from_bytes = run_job(in_memory, *engine);
  EXPECT_EQ(from_file.png, from_bytes.png);
  EXPECT_EQ(from_bytes.input, "upload.png");
}

// An image the caller decoded already (kmq serve's uploads) is not decoded
// again: the result is the file's, even where the bytes beside it are no image.
TEST_F(Pipeline, ADecodedInputIsNotDecodedAgain) {
  const std::string input = sample("chelsea.png");
  const auto engine = make_cpu_backend(2);
  const job_outcome from_file = run_job(job_for(input, 16), *engine);
  const std::vector<std::uint8_t> file = read_bytes(input);
  const io::decoded_image decoded = io::image_decoder().decode_bytes(file, "upload.png");
  image_job job = job_for("upload.png", 16);
  job.input_bytes = std::make_shared<const std::vector<std::uint8_t>>(file.begin(), file.begin() + 20);  // cut short
  job.input_decoded = &decoded;
  const job_outcome outcome = run_job(job, *engine);
  EXPECT_EQ(outcome.png, from_file.png);
  EXPECT_EQ(outcome.input_bytes, file.size());
}

// An input's gAMA (here gamma 1.0, which every browser honours) reaches the output.
TEST_F(Pipeline, AnInputsGammaReachesTheOutput) {
  const std::vector<packed_rgba> palette = {pack_rgba(10, 20, 30, 255), pack_rgba(200, 100, 50, 255)};
  const std::vector<std::uint8_t> indices = {0, 1, 1, 0, 1, 0};
  io::png_metadata linear;
  linear.colour_chunks.gamma = 100000;
  image_job job = job_for("linear.png", 2);
  job.input_bytes = std::make_shared<const std::vector<std::uint8_t>>(io::encode_palette_png(palette, indices, 3, 2, 6, linear));
  const auto engine = make_cpu_backend(1);
  const job_outcome outcome = run_job(job, *engine);
  EXPECT_EQ(io::image_decoder().decode_bytes(outcome.png, "out.png").colour_chunks.gamma, 100000u);
}

// Two jobs with different options at once, each on its own backend, give the
// bytes each gives alone: no stage keeps process-wide state.
TEST_F(Pipeline, ConcurrentJobsGiveTheSameBytesAsOneAtATime) {
  image_job a = job_for(sample("fruits.jpg"), 8, 1);
  image_job b = job_for(sample("astronaut.png"), 40, 7);
  b.limits.max_pixels = 600 * 600;
  b.png_level = 9;
  const auto alone_a = run_job(a, *make_cpu_backend(1)).png;
  const auto alone_b = run_job(b, *make_cpu_backend(1)).png;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::uint8_t> together_a, together_b;
    std::thread first([&] { together_a = run_job(a, *make_cpu_backend(1)).png; });
    std::thread second([&] { together_b = run_job(b, *make_cpu_backend(2)).png; });
    first.join();
    second.join();
    EXPECT_EQ(together_a, alone_a) << "round " << round;
    EXPECT_EQ(together_b, alone_b) << "round " << round;
  }
}

// Cancels when a given stage begins.
class stop_at : public observer {
 public:
  explicit stop_at(job_stage stage) : stage_(stage) {}
  bool on_stage(job_stage stage) override { return stage != stage_; }

 private:
  job_stage stage_;
};

TEST_F(Pipeline, CancellingWritesNothing) {
  for (job_stage stage : {job_stage::decode, job_stage::seed, job_stage::encode, job_stage::write}) {
    image_job job = job_for(sample("coffee.png"), 16);
    job.output = path("out.png");
    stop_at stop(stage);
    try {
      run_job(job, *make_cpu_backend(2), &stop);
      ADD_FAILURE() << "not cancelled at " << stage_name(stage);
    } catch (const error& e) {
      EXPECT_EQ(e.kind(), error_kind::cancelled) << e.what();
    }
    EXPECT_TRUE(fs::is_empty(dir_)) << stage_name(stage);
  }
}

TEST_F(Pipeline, ErrorsNameTheFile) {
  const std::string missing = path("missing.png");
  try {
    run_job(job_for(missing, 16), *make_cpu_backend(1));
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::input_unreadable);
    EXPECT_EQ(e.path(), missing);
  }
  image_job bad_k = job_for(sample("coffee.png"), 300);
  try {
    run_job(bad_k, *make_cpu_backend(1));
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::invalid_argument);
    EXPECT_EQ(e.path(), bad_k.input);
  }
}

// The same on a real GPU whose allocations are capped (KMQ_CUDA_MAX_ALLOCATION):
// --backend auto hands the image to the CPU, same bytes; cuda reports it.
TEST_F(Pipeline, ACappedGpuFallsBackToTheCpuWithTheSameBytes) {
  const cuda_status cuda = cuda_probe();
  if (!cuda.available) return testing::skip_or_fail_without_gpu("no CUDA device: " + cuda.reason);
  const image_job job = job_for(sample("chelsea.png"), 16);  // 541 kB of RGBA
  const job_outcome on_cpu = run_job(job, *make_cpu_backend(2));
  ::setenv("KMQ_CUDA_MAX_ALLOCATION", "65536", 1);
  const std::unique_ptr<backend> gpu = make_cuda_backend();
  const job_outcome fell_back = run_job(job, *gpu);
  image_job strict = job;
  strict.on_out_of_memory = memory_fallback::none;
  error_kind strict_kind = error_kind::internal;
  try {
    run_job(strict, *gpu);
  } catch (const error& e) {
    strict_kind = e.kind();
  }
  ::unsetenv("KMQ_CUDA_MAX_ALLOCATION");
  EXPECT_EQ(fell_back.backend, "cpu");
  EXPECT_EQ(fell_back.png, on_cpu.png);
  ASSERT_EQ(fell_back.notices.size(), 1u);
  EXPECT_EQ(strict_kind, error_kind::out_of_memory);
}

// A CPU backend dressed as a device that runs out of memory on upload, as a
// GPU does on an image too large for it.
class out_of_memory_device : public testing::inert_backend {
 public:
  std::string name() const override { return "test-device"; }
  std::string device() const override { return "a device with no memory"; }
  color_histogram histogram(const packed_rgba* pixels, std::size_t count) override {
    return cpu_->histogram(pixels, count);
  }
  void upload(const packed_rgba*, const std::uint32_t*, std::size_t) override {
    throw error(error_kind::out_of_memory, "test device: out of memory");
  }

 private:
  std::unique_ptr<backend> cpu_ = make_cpu_backend(1);
};

class notices : public observer {
 public:
  void on_notice(const std::string& text) override { heard.push_back(text); }
  std::vector<std::string> heard;
};

TEST_F(Pipeline, ADeviceOutOfMemoryFallsBackToTheCpuWithTheSameBytes) {
  const image_job job = job_for(sample("chelsea.png"), 16);
  const job_outcome on_cpu = run_job(job, *make_cpu_backend(2));
  out_of_memory_device device;
  notices told;
  const job_outcome fell_back = run_job(job, device, &told);
  EXPECT_EQ(fell_back.png, on_cpu.png);
  EXPECT_EQ(fell_back.backend, "cpu");
  ASSERT_EQ(told.heard.size(), 1u);
  EXPECT_NE(told.heard[0].find("out of memory; using the CPU"), std::string::npos) << told.heard[0];
  EXPECT_EQ(fell_back.notices, told.heard);

  image_job strict = job;
  strict.on_out_of_memory = memory_fallback::none;
  try {
    run_job(strict, device);
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::out_of_memory);
    EXPECT_EQ(e.path(), job.input);
  }
}

// Four far-apart groups of three nearly equal colours: 4 colours fit well
// (PSNR over 40 dB), 3 cannot (two groups merge: under 20 dB), 12 are lossless.
std::shared_ptr<const std::vector<std::uint8_t>> four_groups_png() {
  const packed_rgba base[4] = {pack_rgba(10, 10, 10, 255), pack_rgba(240, 20, 20, 255), pack_rgba(20, 240, 20, 255),
                               pack_rgba(20, 20, 240, 255)};
  std::vector<packed_rgba> palette;
  for (packed_rgba b : base) {
    for (std::uint32_t d = 0; d < 3; ++d) palette.push_back(b + d);  // red channel + 0, 1, 2
  }
  std::vector<std::uint8_t> indices(96 * 64);
  for (std::size_t p = 0; p < indices.size(); ++p) indices[p] = static_cast<std::uint8_t>(p % palette.size());
  return std::make_shared<const std::vector<std::uint8_t>>(io::encode_palette_png(palette, indices, 96, 64, 6));
}

TEST_F(Pipeline, TheQualitySearchFindsTheSmallestKThatReachesTheTarget) {
  image_job job = job_for("groups.png", 16);
  job.input_bytes = four_groups_png();
  job.quality = quality_target{0.0, 40.0};
  const auto engine = make_cpu_backend(2);
  const job_outcome four = run_job(job, *engine);
  EXPECT_EQ(four.k, 4);
  EXPECT_GE(four.metrics.psnr, 40.0);
  EXPECT_EQ(std::count(four.ks_tried.begin(), four.ks_tried.end(), 3), 1) << "3 was tried and failed";
  // The same bytes as asking for that K directly.
  image_job direct = job_for("groups.png", 4);
  direct.input_bytes = job.input_bytes;
  EXPECT_EQ(run_job(direct, *engine).png, four.png);

  job.quality = quality_target{0.0, 200.0};  // only lossless reaches it
  const job_outcome lossless = run_job(job, *engine);
  EXPECT_EQ(lossless.k, 12);
  EXPECT_TRUE(lossless.quantized.lossless);
}

// On an image with alpha too, the K found is the smallest whose own result
// (-k K) reaches the target: the search judges a K by the error the result
// reports (composited), not by the rounded premultiplied one.
TEST_F(Pipeline, TheQualitySearchOnAnImageWithAlphaMatchesKAlone) {
  constexpr std::uint32_t width = 200, height = 150;
  seeded_random noise(1);
  std::vector<packed_rgba> pixels;
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      const auto jitter = [&](std::uint32_t v) {
        return static_cast<std::uint32_t>(std::clamp<int>(static_cast<int>(v) + static_cast<int>(noise.below(20)) - 10, 0, 255));
      };
      pixels.push_back(pack_rgba(jitter(x * 255 / (width - 1)), jitter(y * 255 / (height - 1)), jitter((x + y) * 3 % 256),
                                 x * 255 / (width - 1)));
    }
  }
  const auto png = std::make_shared<const std::vector<std::uint8_t>>(io::encode_rgba_png(pixels, width, height, true, 1));
  const auto engine = make_cpu_backend(2);
  const auto job_at = [&](int k) {
    image_job job = job_for("ramp.png", k);
    job.quantize.kmeans.restarts = 0;  // automatic at each K, as the command line has it
    job.input_bytes = png;
    return job;
  };
  for (const double target : {30.0, 33.0, 35.0}) {
    image_job job = job_at(16);
    job.quality = quality_target{0.0, target};
    const job_outcome found = run_job(job, *engine);
    EXPECT_GE(found.metrics.psnr, target);
    EXPECT_EQ(run_job(job_at(found.k), *engine).png, found.png) << target;
    const image_job one_fewer = job_at(found.k - 1);
    EXPECT_LT(run_job(one_fewer, *engine).metrics.psnr, target) << "K " << found.k - 1 << " reaches " << target << " dB too";
  }
}

// Dithered, pixels move to other entries than their colour's nearest: the
// counts the palette files and the report show are those of the PNG's indices.
TEST_F(Pipeline, DitheredUsageCountsThePngsIndices) {
  for (const dither_method dither : {dither_method::none, dither_method::floyd_steinberg}) {
    image_job job = job_for(sample("fruits.jpg"), 8);
    job.remap.dither = dither;
    job.keep_decoded = true;  // and the label map
    const job_outcome o = run_job(job, *make_cpu_backend(2));
    std::vector<std::uint64_t> counted(o.quantized.palette.size(), 0);
    for (const std::uint8_t entry : o.labels.indices) ++counted[entry];
    EXPECT_EQ(o.quantized.usage, counted) << static_cast<int>(dither);
  }
}

TEST_F(Pipeline, AnImpossibleQualityWritesNothing) {
  image_job job = job_for(sample("chelsea.png"), 16);  // 40.8 dB at K = 256
  job.quality = quality_target{60.0, 70.0};
  job.output = path("never.png");
  try {
    run_job(job, *make_cpu_backend(2));
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::quality_not_met);
    EXPECT_NE(std::string(e.what()).find("below the --quality minimum 60.00 dB"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir_));
  // Between MIN and MAX: K = 256 is written.
  job.quality = quality_target{20.0, 70.0};
  const job_outcome best = run_job(job, *make_cpu_backend(2));
  EXPECT_EQ(best.k, 256);
  EXPECT_TRUE(fs::exists(job.output));
  // A target far above what K = 16 reaches goes straight to 256: the line
  // through K = 16 points past any int (it once wrapped, and every K from 17 was tried).
  for (const double far : {70.0, 98.0, 100.0}) {
    job.quality = quality_target{0.0, far};
    job.output = path("far.png");
    job.force = true;
    const job_outcome reached = run_job(job, *make_cpu_backend(2));
    EXPECT_EQ(reached.k, 256) << far;
    EXPECT_LE(reached.ks_tried.size(), 3u) << far << " dB: " << ::testing::PrintToString(reached.ks_tried);
  }
}

TEST_F(Pipeline, TheElbowReusesTheColoursAndFallsWithK) {
  image_job job = job_for(sample("chelsea.png"), 16);
  job.elbow = true;
  const job_outcome outcome = run_job(job, *make_cpu_backend(2));
  ASSERT_EQ(outcome.elbow.size(), 8u);  // 2, 4, ... 256
  for (std::size_t i = 0; i < outcome.elbow.size(); ++i) {
    EXPECT_EQ(outcome.elbow[i].k, 2 << i);
    if (i > 0) EXPECT_LT(outcome.elbow[i].wcss, outcome.elbow[i - 1].wcss);
  }
  // The K=16 point is exactly the written palette's error.
  EXPECT_EQ(outcome.elbow[3].wcss, outcome.quantized.wcss);
  EXPECT_DOUBLE_EQ(outcome.elbow[3].mse, outcome.metrics.mse);
  // And the elbow does not change the output.
  image_job plain = job;
  plain.elbow = false;
  EXPECT_EQ(run_job(plain, *make_cpu_backend(2)).png, outcome.png);
}

}  // namespace
}  // namespace kmq
