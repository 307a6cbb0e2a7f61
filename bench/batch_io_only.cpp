// The decode+encode-only pass that bench/batch_throughput.sh sets kmq batch
// against: the same files through the same decoders, the same palette-PNG
// encoder at the same zlib level and the same atomic write as `kmq batch`,
// on JOBS threads, with the clustering replaced by a fixed 3-3-2 RGB palette
// (no histogram, no k-means, no metrics). What is left is the I/O floor.
//   batch_io_only SRC_DIR OUT_DIR JOBS [PNG_LEVEL=6]
// Prints one line: images, bytes in, bytes out, seconds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "kmq/io/image_decoder.hpp"
#include "kmq/io/output_file.hpp"
#include "kmq/io/png_encoder.hpp"

namespace fs = std::filesystem;

namespace {

bool is_image(const fs::path& p) {
  const std::string e = p.extension().string();
  return e == ".png" || e == ".jpg" || e == ".jpeg";
}

std::vector<kmq::packed_rgba> palette_332() {
  std::vector<kmq::packed_rgba> palette;
  for (std::uint32_t i = 0; i < 256; ++i) {
    palette.push_back(kmq::pack_rgba((i >> 5) * 255 / 7, ((i >> 2) & 7) * 255 / 7, (i & 3) * 255 / 3, 255));
  }
  return palette;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    std::fprintf(stderr, "usage: batch_io_only SRC_DIR OUT_DIR JOBS [PNG_LEVEL=6]\n");
    return 64;
  }
  const fs::path src = argv[1], out = argv[2];
  const int jobs = std::max(1, std::atoi(argv[3]));
  const int level = argc == 5 ? std::atoi(argv[4]) : kmq::io::default_png_level;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(src))
    if (e.is_regular_file() && is_image(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const std::vector<kmq::packed_rgba> palette = palette_332();
  const kmq::io::image_decoder decoder;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> bytes_in{0}, bytes_out{0}, failed{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < jobs; ++w) {
    workers.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < files.size();) {
        try {
          const kmq::io::decoded_image image = decoder.decode_file(files[i].string());
          std::vector<std::uint8_t> indices(image.pixels.size());
          for (std::size_t p = 0; p < indices.size(); ++p) {
            const kmq::packed_rgba c = image.pixels[p];
            indices[p] = static_cast<std::uint8_t>((kmq::channel_of(c, 0) >> 5) << 5 | (kmq::channel_of(c, 1) >> 5) << 2 |
                                                   kmq::channel_of(c, 2) >> 6);
          }
          const std::vector<std::uint8_t> png =
              kmq::io::encode_palette_png(palette, indices, image.width, image.height, level);
          fs::path target = out / fs::relative(files[i], src);
          target.replace_extension(".png");
          fs::create_directories(target.parent_path());
          kmq::io::write_file_atomically(target.string(), png, true);
          bytes_in += image.file_bytes;
          bytes_out += png.size();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "batch_io_only: %s: %s\n", files[i].c_str(), e.what());
          ++failed;
        }
      }
    });
  }
  for (std::thread& t : workers) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu images, %llu bytes in, %llu bytes out, %.3f s\n", files.size(),
              static_cast<unsigned long long>(bytes_in.load()), static_cast<unsigned long long>(bytes_out.load()), seconds);
  return failed ? 1 : 0;
}
